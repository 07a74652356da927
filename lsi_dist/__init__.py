"""lsi_dist: Latent Space Illumination of an MNIST GAN, evaluated on Ray actors."""

__version__ = "0.1.0"
