"""The three networks of the MNIST LSI experiment and their constants.

The layer layout matches the pyribs tutorial "Illuminating the Latent Space of
an MNIST GAN", so that state dicts trained for that tutorial load into these
modules as they are (parameter names ``main.<index>.weight``).
"""

import torch
from torch import nn

LATENT_DIM = 128
IMAGE_SHAPE = (1, 28, 28)
IMAGE_PIXELS = 28 * 28

# Mean and standard deviation of the MNIST training pixels in [0, 1], which the
# classifier was trained to expect after normalisation.
CLASSIFIER_MEAN = 0.1307
CLASSIFIER_STD = 0.3081


class Generator(nn.Module):
    """MLP generator: latent ``(n, 128)`` to images ``(n, 1, 28, 28)`` in [-1, 1]."""

    def __init__(self, latent_dim=LATENT_DIM):
        super().__init__()
        self.latent_dim = latent_dim
        self.main = nn.Sequential(
            nn.Linear(latent_dim, 256),
            nn.LeakyReLU(0.2),
            nn.Linear(256, 512),
            nn.LeakyReLU(0.2),
            nn.Linear(512, 1024),
            nn.LeakyReLU(0.2),
            nn.Linear(1024, IMAGE_PIXELS),
            nn.Tanh(),
        )

    def forward(self, latents):
        return self.main(latents).view(-1, *IMAGE_SHAPE)


class Discriminator(nn.Module):
    """MLP discriminator: images in [-1, 1] to the probability ``(n, 1)`` of real."""

    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Linear(IMAGE_PIXELS, 1024),
            nn.LeakyReLU(0.2),
            nn.Dropout(0.3),
            nn.Linear(1024, 512),
            nn.LeakyReLU(0.2),
            nn.Dropout(0.3),
            nn.Linear(512, 256),
            nn.LeakyReLU(0.2),
            nn.Dropout(0.3),
            nn.Linear(256, 1),
            nn.Sigmoid(),
        )

    def forward(self, images):
        return self.main(images.reshape(-1, IMAGE_PIXELS))


class LeNet5(nn.Module):
    """LeNet-5 classifier: images ``(n, 1, 28, 28)`` to log-probabilities ``(n, 10)``.

    ``forward`` takes images that are already normalised with
    :data:`CLASSIFIER_MEAN` and :data:`CLASSIFIER_STD`, as in the reference
    tutorial; :func:`classify` takes plain images in [0, 1].
    """

    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(1, 6, (5, 5), stride=1, padding=0),
            nn.MaxPool2d(2),
            nn.ReLU(),
            nn.Conv2d(6, 16, (5, 5), stride=1, padding=0),
            nn.MaxPool2d(2),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(16 * 4 * 4, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, 10),
            nn.LogSoftmax(dim=1),
        )

    def forward(self, normalized_images):
        if torch.is_grad_enabled():
            return self.main(normalized_images)
        # Inference: the same layers, but each 2x2 max pooling as two
        # elementwise maxima of strided views. The values are the same (a
        # maximum is exact), and on the CPU it is about ten times faster than
        # max_pool2d, which was a third of an evaluation's time.
        x = normalized_images
        for layer in self.main:
            x = _max_pool_2x2(x) if _is_plain_2x2_pool(layer) else layer(x)
        return x


def _is_plain_2x2_pool(layer):
    return (
        isinstance(layer, nn.MaxPool2d)
        and layer.kernel_size in (2, (2, 2))
        and layer.stride in (2, (2, 2))
        and layer.padding in (0, (0, 0))
        and layer.dilation in (1, (1, 1))
        and not layer.ceil_mode
        and not layer.return_indices
    )


def _max_pool_2x2(x):
    """``max_pool2d(x, 2)`` for ``(n, c, h, w)``: odd edges dropped, as there."""
    height, width = x.shape[-2] // 2 * 2, x.shape[-1] // 2 * 2
    rows = torch.maximum(x[..., 0:height:2, :width], x[..., 1:height:2, :width])
    return torch.maximum(rows[..., 0::2], rows[..., 1::2])


def normalize_for_classifier(images):
    """Maps images in [0, 1] to the classifier's normalised input."""
    return (images - CLASSIFIER_MEAN) / CLASSIFIER_STD


def classify(classifier, images):
    """Returns the classifier's probabilities ``(n, 10)`` for images in [0, 1]."""
    return torch.exp(classifier(normalize_for_classifier(images)))


def to_unit_range(images):
    """Maps generator output from [-1, 1] to [0, 1]."""
    return (images + 1.0) / 2.0


def to_signed_range(images):
    """Maps images from [0, 1] to [-1, 1], the range the GAN works in."""
    return images * 2.0 - 1.0


NETWORK_CLASSES = {
    "generator": Generator,
    "discriminator": Discriminator,
    "classifier": LeNet5,
}
