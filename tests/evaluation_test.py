import numpy as np
import pytest
import torch

from lsi_dist.evaluation import EvaluationSpec, Evaluator, check_latents
from lsi_dist.models.networks import classify, to_unit_range


@pytest.fixture(scope="module")
def latents():
    return np.random.default_rng(0).standard_normal((151, 128)).astype(np.float32)


def test_matches_the_definitions(networks, latents):
    objective, measures = Evaluator(networks)(latents)
    with torch.no_grad():
        images = to_unit_range(networks.generator(torch.from_numpy(latents)))
        probs = classify(networks.classifier, images)[:, 8]
    flat = images.reshape(len(latents), -1).numpy()
    boldness = (flat >= 0.5).sum(1)
    lightness = (flat * (flat >= 0.5)).sum(1) / (boldness + 1)
    np.testing.assert_allclose(objective, probs.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(measures[:, 0], boldness)
    np.testing.assert_allclose(measures[:, 1], lightness, rtol=1e-5)
    assert objective.dtype == np.float32 and measures.dtype == np.float32
    assert measures.shape == (151, 2)
    assert ((measures[:, 1] == 0) | (measures[:, 1] >= 0.5)).all()


@pytest.mark.parametrize("rows", [0, 1, 2])
def test_any_batch_size(networks, latents, rows):
    objective, measures = Evaluator(networks)(latents[:rows])
    assert objective.shape == (rows,) and measures.shape == (rows, 2)


def test_shards_of_16_rows_or_more_give_bitwise_equal_results(networks, latents):
    evaluator = Evaluator(networks)
    whole = evaluator.evaluate_packed(latents)
    parts = np.concatenate(
        [
            evaluator.evaluate_packed(latents[a:b])
            for a, b in ((0, 16), (16, 75), (75, 151))
        ]
    )
    np.testing.assert_array_equal(whole, parts)


def test_all_digits_adds_the_predicted_digit(networks, latents):
    spec = EvaluationSpec(target_digit=None)
    objective, measures = Evaluator(networks, spec)(latents)
    with torch.no_grad():
        probs = classify(
            networks.classifier,
            to_unit_range(networks.generator(torch.from_numpy(latents))),
        )
    np.testing.assert_array_equal(measures[:, 2], probs.argmax(1).numpy())
    np.testing.assert_allclose(objective, probs.max(1).values.numpy(), rtol=1e-6)


def test_realism_objectives_use_the_discriminator(networks, latents):
    plain, _ = Evaluator(networks)(latents)
    product, _ = Evaluator(networks, EvaluationSpec(objective="product"))(latents)
    constrained, _ = Evaluator(
        networks, EvaluationSpec(objective="constrained", realism_threshold=0.5)
    )(latents)
    with torch.no_grad():
        realism = networks.discriminator(networks.generator(torch.from_numpy(latents)))[
            :, 0
        ].numpy()
    np.testing.assert_allclose(product, plain * realism, rtol=1e-5)
    np.testing.assert_allclose(
        constrained, plain * np.minimum(realism / 0.5, 1), rtol=1e-5
    )
    real = realism >= 0.5
    np.testing.assert_array_equal(constrained[real], plain[real])


def test_repeats_do_not_change_results(networks, latents):
    once = Evaluator(networks).evaluate_packed(latents)
    thrice = Evaluator(networks, EvaluationSpec(repeats=3)).evaluate_packed(latents)
    np.testing.assert_array_equal(once, thrice)


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.zeros(128), "2-D array"),
        (np.zeros((3, 64)), "128 columns"),
        (np.array([[np.nan] * 128]), r"NaN or infinite values in rows \[0\]"),
        (np.array([["a"] * 128]), "must be numbers"),
    ],
)
def test_bad_latents_are_refused(bad, message):
    with pytest.raises(ValueError, match=message):
        check_latents(bad)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"target_digit": 10}, "target_digit"),
        ({"objective": "realism"}, "objective"),
        ({"realism_threshold": 0}, "realism_threshold"),
        ({"repeats": 0}, "repeats"),
    ],
)
def test_bad_specs_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EvaluationSpec(**kwargs)
