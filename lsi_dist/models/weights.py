"""Shipped weights: safetensors files, their manifest, and loading them.

Weights are stored as safetensors, so loading them never runs pickled code.
``manifest.json`` beside them records each file's sha256, how it was trained
and its quality figures; loading checks the checksum first.
"""

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from lsi_dist.files import atomic_write_json, sha256_file
from lsi_dist.models.networks import NETWORK_CLASSES

logger = logging.getLogger(__name__)

WEIGHTS_DIR = Path(__file__).parent / "weights"
MANIFEST_NAME = "manifest.json"
WEIGHT_FILES = {name: f"{name}.safetensors" for name in NETWORK_CLASSES}


class WeightsError(RuntimeError):
    """Raised when shipped weights are missing, altered or do not fit."""


@dataclass
class Networks:
    """The three networks, in eval mode on one device."""

    generator: torch.nn.Module
    discriminator: torch.nn.Module
    classifier: torch.nn.Module
    device: torch.device


def read_manifest(weights_dir=WEIGHTS_DIR):
    """Returns the manifest of a weights folder (an empty one if it has none)."""
    path = Path(weights_dir) / MANIFEST_NAME
    if not path.is_file():
        return {"files": {}}
    with open(path) as file:
        return json.load(file)


def write_manifest(manifest, weights_dir=WEIGHTS_DIR):
    """Writes a manifest atomically."""
    atomic_write_json(Path(weights_dir) / MANIFEST_NAME, manifest)


def save_network(name, network, weights_dir, training_record):
    """Saves one network's weights and records them in the folder's manifest.

    Args:
        name: ``"generator"``, ``"discriminator"`` or ``"classifier"``.
        network: The module to save.
        weights_dir: The folder to write into.
        training_record: A dict of how the weights were made (command, seed,
            seconds, figures); stored under the file's manifest entry.
    """
    weights_dir = Path(weights_dir)
    weights_dir.mkdir(parents=True, exist_ok=True)
    path = weights_dir / WEIGHT_FILES[name]
    state = {
        key: value.detach().cpu().contiguous()
        for key, value in network.state_dict().items()
    }
    save_file(state, str(path))
    manifest = read_manifest(weights_dir)
    manifest["files"][path.name] = {
        "network": name,
        "sha256": sha256_file(path),
        **training_record,
    }
    write_manifest(manifest, weights_dir)
    logger.info("Saved %s weights to %s", name, path)
    return path


def load_network(name, device="cpu", weights_dir=WEIGHTS_DIR):
    """Loads one network from a weights folder, checked against its manifest.

    Args:
        name: ``"generator"``, ``"discriminator"`` or ``"classifier"``.
        device: Where the network goes.
        weights_dir: The folder with the safetensors files and manifest.

    Returns:
        The network in eval mode with gradients off.

    Raises:
        WeightsError: The file is missing, its sha256 differs from the
            manifest's, or its tensors do not fit the architecture.
    """
    if name not in WEIGHT_FILES:
        raise ValueError(
            f"Unknown network {name!r}; expected one of {sorted(WEIGHT_FILES)}."
        )
    weights_dir = Path(weights_dir)
    path = weights_dir / WEIGHT_FILES[name]
    if not path.is_file():
        raise WeightsError(
            f"Weights file {path} is missing. Reinstall lsi-dist, or train it "
            f"with `lsi-dist train {'gan' if name != 'classifier' else name} "
            f"--out {weights_dir}`."
        )
    entry = read_manifest(weights_dir)["files"].get(path.name)
    if entry is None:
        raise WeightsError(
            f"Weights file {path} is not listed in {weights_dir / MANIFEST_NAME}, "
            "so its checksum cannot be checked. Retrain it with `lsi-dist train`, "
            "which writes the manifest entry."
        )
    digest = sha256_file(path)
    if digest != entry["sha256"]:
        raise WeightsError(
            f"Weights file {path} has sha256 {digest}, but the manifest records "
            f"{entry['sha256']}: the file was altered or damaged. Reinstall "
            "lsi-dist or retrain it with `lsi-dist train`."
        )

    try:
        state = load_file(str(path), device="cpu")
    except (SafetensorError, OSError) as error:
        raise WeightsError(
            f"Weights file {path} is not a readable safetensors file: {error}"
        ) from error
    network = NETWORK_CLASSES[name]()
    expected = {key: tuple(value.shape) for key, value in network.state_dict().items()}
    found = {key: tuple(value.shape) for key, value in state.items()}
    if expected != found:
        wrong = sorted(
            f"{key}: expected {expected.get(key)}, found {found.get(key)}"
            for key in expected.keys() | found.keys()
            if expected.get(key) != found.get(key)
        )
        raise WeightsError(
            f"Weights file {path} does not fit the {name} architecture: "
            + "; ".join(wrong)
            + ". It was trained for another network; retrain it with "
            "`lsi-dist train`."
        )
    network.load_state_dict(state)
    network.to(device).eval().requires_grad_(False)
    return network


def load_networks(device="cpu", weights_dir=WEIGHTS_DIR):
    """Returns the generator, discriminator and classifier, ready for inference.

    Args:
        device: A torch device or its name.
        weights_dir: The folder holding the weights (the shipped ones by default).

    Raises:
        WeightsError: A file is missing, altered, or does not fit.
    """
    device = torch.device(device)
    return Networks(
        generator=load_network("generator", device, weights_dir),
        discriminator=load_network("discriminator", device, weights_dir),
        classifier=load_network("classifier", device, weights_dir),
        device=device,
    )
