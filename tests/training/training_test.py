"""Both trainings end to end on a tiny synthetic MNIST, including resume."""

import pytest
import torch
from safetensors.torch import load_file

from lsi_dist.models.weights import load_network, read_manifest
from lsi_dist.training.classifier import ClassifierTraining, train_classifier
from lsi_dist.training.gan import GanTraining, train_gan

from .mnist_test import write_split


@pytest.fixture(scope="module")
def tiny_mnist(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mnist")
    write_split(folder, "train", 96, seed=1)
    write_split(folder, "test", 20, seed=2)
    return folder


def weights(folder, name):
    return load_file(str(folder / f"{name}.safetensors"))


def test_classifier_training_writes_weights_and_manifest(tiny_mnist, tmp_path):
    settings = ClassifierTraining(
        data_dir=tiny_mnist, out_dir=tmp_path, epochs=2, batch_size=32
    )
    record = train_classifier(
        settings, command="lsi-dist train classifier", progress=False
    )
    assert 0.0 <= record["figures"]["test_accuracy"] <= 1.0
    entry = read_manifest(tmp_path)["files"]["classifier.safetensors"]
    assert entry["command"] == "lsi-dist train classifier"
    assert entry["settings"]["epochs"] == 2
    assert not (tmp_path / "classifier.ckpt").exists()
    load_network("classifier", "cpu", tmp_path)


def test_classifier_resume_equals_uninterrupted(tiny_mnist, tmp_path):
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    for out in (whole, parts):
        settings = ClassifierTraining(
            data_dir=tiny_mnist, out_dir=out, epochs=3, batch_size=32
        )
        if out == parts:
            assert train_classifier(settings, progress=False, stop_after=1) is None
            assert (parts / "classifier.ckpt").exists()
            assert not (parts / "classifier.safetensors").exists()
        train_classifier(settings, progress=False)
    for key, value in weights(whole, "classifier").items():
        assert torch.equal(value, weights(parts, "classifier")[key]), key


def test_gan_training_and_resume(tiny_mnist, tmp_path):
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    for out in (whole, parts):
        settings = GanTraining(
            data_dir=tiny_mnist, out_dir=out, epochs=2, batch_size=32
        )
        if out == parts:
            assert train_gan(settings, progress=False, stop_after=1) is None
            assert (parts / "gan.ckpt").exists()
        record = train_gan(settings, command="lsi-dist train gan", progress=False)
    assert 0 <= record["figures"]["last_epoch_mean_d_real"] <= 1
    for name in ("generator", "discriminator"):
        for key, value in weights(whole, name).items():
            assert torch.equal(value, weights(parts, name)[key]), (name, key)
        load_network(name, "cpu", parts)


def test_bad_settings_are_refused(tiny_mnist, tmp_path):
    with pytest.raises(ValueError, match="epochs"):
        train_gan(GanTraining(data_dir=tiny_mnist, out_dir=tmp_path, epochs=0))
    with pytest.raises(ValueError, match="real_label"):
        train_gan(GanTraining(data_dir=tiny_mnist, out_dir=tmp_path, real_label=0))
