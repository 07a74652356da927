"""Reading MNIST from its IDX files, gzipped or not, without torchvision."""

import gzip
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

DEFAULT_DATA_DIR = Path("../shared/datasets/mnist")

_SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


class MnistError(ValueError):
    """Raised when an MNIST folder or IDX file cannot be read."""


@dataclass(frozen=True)
class MnistSplit:
    """One split of MNIST held in memory.

    Attributes:
        images: ``uint8`` array of shape ``(n, 28, 28)``.
        labels: ``int64`` array of shape ``(n,)`` with values 0-9.
    """

    images: np.ndarray
    labels: np.ndarray

    def __len__(self):
        return len(self.labels)


def read_idx(path):
    """Reads one IDX file of unsigned bytes (``.gz`` or raw).

    Args:
        path: The file to read.

    Returns:
        A ``uint8`` array whose shape is the one the file's header gives.

    Raises:
        MnistError: The file is missing, is not an IDX file of unsigned bytes,
            or holds fewer bytes than its header promises.
    """
    path = Path(path)
    if not path.is_file():
        raise MnistError(f"MNIST file {path} does not exist.")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as file:
            data = file.read()
    except (OSError, EOFError) as error:
        raise MnistError(
            f"MNIST file {path} cannot be read ({error}); it may be truncated or "
            "not gzip data. Copy it again from the original archive."
        ) from error

    if len(data) < 4:
        raise MnistError(
            f"MNIST file {path} has {len(data)} bytes, too few for an IDX header."
        )
    magic = int.from_bytes(data[:4], "big")
    ndim = data[3]
    if magic >> 8 != 0x08 or not 1 <= ndim <= 3:
        raise MnistError(
            f"MNIST file {path} has magic number 0x{magic:08x}, but an IDX file of "
            "unsigned bytes starts with 0x00000801 (labels) or 0x00000803 "
            "(images). Is it the right file?"
        )
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise MnistError(f"MNIST file {path} is truncated inside its header.")
    shape = tuple(
        int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)
    )
    expected = int(np.prod(shape))
    found = len(data) - header_size
    if found < expected:
        raise MnistError(
            f"MNIST file {path} is truncated: its header promises {expected} bytes "
            f"of shape {shape}, but only {found} follow."
        )
    return np.frombuffer(
        data, dtype=np.uint8, count=expected, offset=header_size
    ).reshape(shape)


def _find_file(data_dir, stem):
    """Finds ``stem`` in either supported layout, gzipped or raw."""
    for folder in (data_dir, data_dir / "MNIST" / "raw"):
        for name in (stem + ".gz", stem):
            if (folder / name).is_file():
                return folder / name
    raise MnistError(
        f"MNIST file {stem}(.gz) is in neither {data_dir} nor "
        f"{data_dir / 'MNIST' / 'raw'}. Pass --data with the folder that holds the "
        "four IDX files (gzipped as distributed, or the torchvision layout "
        "ROOT/MNIST/raw)."
    )


def load_mnist(data_dir=DEFAULT_DATA_DIR, split="train"):
    """Loads one MNIST split.

    The folder may hold the four IDX files directly, gzipped or not, or be a
    torchvision root with them under ``MNIST/raw``.

    Args:
        data_dir: The folder holding the data.
        split: ``"train"`` or ``"test"``.

    Returns:
        MnistSplit: The images and labels.

    Raises:
        MnistError: A file is missing or damaged, or images and labels disagree.
    """
    if split not in _SPLIT_FILES:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}")
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise MnistError(
            f"MNIST folder {data_dir} does not exist. Pass --data with the folder "
            "that holds the IDX files."
        )
    images_stem, labels_stem = _SPLIT_FILES[split]
    images_path = _find_file(data_dir, images_stem)
    labels_path = _find_file(data_dir, labels_stem)
    images = read_idx(images_path)
    labels = read_idx(labels_path)

    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise MnistError(
            f"MNIST file {images_path} holds an array of shape {images.shape}; "
            "expected (n, 28, 28) images."
        )
    if labels.ndim != 1:
        raise MnistError(
            f"MNIST file {labels_path} holds an array of shape {labels.shape}; "
            "expected (n,) labels."
        )
    if len(images) != len(labels):
        raise MnistError(
            f"{images_path} has {len(images)} images but {labels_path} has "
            f"{len(labels)} labels."
        )
    if labels.size and labels.max() > 9:
        raise MnistError(
            f"{labels_path} holds label {labels.max()}; MNIST labels are 0-9."
        )
    logger.info("Read %d %s images from %s", len(labels), split, images_path.parent)
    return MnistSplit(images=images, labels=labels.astype(np.int64))


def write_idx(path, array):
    """Writes a ``uint8`` array as an IDX file (gzipped if ``path`` ends in .gz).

    Used to build small datasets for tests and examples.
    """
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape
    )
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as file:
        file.write(header + array.tobytes())
