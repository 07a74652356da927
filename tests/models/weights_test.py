import shutil

import pytest
import torch
from safetensors.torch import save_file

from lsi_dist.models.networks import Generator
from lsi_dist.models.weights import (
    WEIGHTS_DIR,
    WeightsError,
    load_network,
    load_networks,
    read_manifest,
)


def test_shipped_weights_load_in_eval_mode(networks):
    for network in (networks.generator, networks.discriminator, networks.classifier):
        assert not network.training
        assert all(not p.requires_grad for p in network.parameters())
    assert networks.device == torch.device("cpu")


def test_manifest_records_how_each_file_was_made():
    manifest = read_manifest()
    for name in ("generator", "discriminator", "classifier"):
        entry = manifest["files"][f"{name}.safetensors"]
        assert len(entry["sha256"]) == 64
        assert (
            entry["command"].startswith("lsi-dist ") and " train " in entry["command"]
        )
        assert entry["settings"]["seed"] == 0
        assert entry["train_seconds"] > 0
        assert entry["figures"]
    assert manifest["quality"]["passed"]


@pytest.fixture
def weights_copy(tmp_path):
    target = tmp_path / "weights"
    shutil.copytree(WEIGHTS_DIR, target, ignore=shutil.ignore_patterns("*.ckpt"))
    return target


def test_missing_file_is_named(weights_copy):
    (weights_copy / "generator.safetensors").unlink()
    with pytest.raises(WeightsError, match="generator.safetensors is missing"):
        load_networks("cpu", weights_copy)


def test_altered_file_fails_its_checksum(weights_copy):
    path = weights_copy / "classifier.safetensors"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="classifier.safetensors has sha256"):
        load_network("classifier", "cpu", weights_copy)


def test_wrong_shapes_are_listed(weights_copy):
    from lsi_dist.models.weights import save_network

    small = Generator(latent_dim=64)
    save_network("generator", small, weights_copy, {"command": "test"})
    with pytest.raises(
        WeightsError,
        match=r"main\.0\.weight: expected \(256, 128\), "
        r"found \(256, 64\)",
    ):
        load_network("generator", "cpu", weights_copy)


def test_file_not_in_manifest_is_refused(weights_copy):
    state = {k: v.contiguous() for k, v in Generator().state_dict().items()}
    save_file(state, str(weights_copy / "generator.safetensors"))
    manifest = (weights_copy / "manifest.json").read_text()
    (weights_copy / "manifest.json").write_text(
        manifest.replace('"generator.safetensors"', '"renamed.safetensors"')
    )
    with pytest.raises(WeightsError, match="not listed"):
        load_network("generator", "cpu", weights_copy)
