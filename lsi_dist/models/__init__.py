"""The three networks, their constants, and loading the shipped weights."""

from lsi_dist.models.networks import (
    LATENT_DIM,
    Discriminator,
    Generator,
    LeNet5,
    classify,
    to_unit_range,
)
from lsi_dist.models.weights import Networks, WeightsError, load_network, load_networks

__all__ = [
    "LATENT_DIM",
    "Discriminator",
    "Generator",
    "LeNet5",
    "Networks",
    "WeightsError",
    "classify",
    "load_network",
    "load_networks",
    "to_unit_range",
]
