import gzip

import numpy as np
import pytest

from lsi_dist.training.mnist import MnistError, load_mnist, read_idx, write_idx


def write_split(folder, split, count, seed=0, gz=True):
    """Writes a tiny MNIST split of random images and labels."""
    rng = np.random.default_rng(seed)
    prefix = "train" if split == "train" else "t10k"
    suffix = ".gz" if gz else ""
    folder.mkdir(parents=True, exist_ok=True)
    images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
    labels = (np.arange(count) % 10).astype(np.uint8)
    write_idx(folder / f"{prefix}-images-idx3-ubyte{suffix}", images)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte{suffix}", labels)
    return images, labels


def test_reads_gzipped_files_as_distributed(tmp_path):
    images, labels = write_split(tmp_path, "test", 12)
    split = load_mnist(tmp_path, "test")
    np.testing.assert_array_equal(split.images, images)
    np.testing.assert_array_equal(split.labels, labels)
    assert split.labels.dtype == np.int64


def test_reads_the_torchvision_layout(tmp_path):
    images, _ = write_split(tmp_path / "MNIST" / "raw", "train", 5, gz=False)
    np.testing.assert_array_equal(load_mnist(tmp_path, "train").images, images)


def test_missing_folder_and_file_are_named(tmp_path):
    with pytest.raises(MnistError, match="does not exist"):
        load_mnist(tmp_path / "nowhere")
    write_split(tmp_path, "test", 3)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(MnistError, match="t10k-labels-idx1-ubyte"):
        load_mnist(tmp_path, "test")


def test_truncated_file_is_reported(tmp_path):
    write_split(tmp_path, "test", 4)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    data = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(data[:-100]))
    with pytest.raises(MnistError, match="truncated"):
        load_mnist(tmp_path, "test")


def test_cut_gzip_stream_is_reported(tmp_path):
    write_split(tmp_path, "test", 4)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(MnistError, match="truncated or not gzip"):
        read_idx(path)


def test_wrong_magic_number_is_reported(tmp_path):
    path = tmp_path / "bad-idx3-ubyte"
    path.write_bytes(b"\x00\x00\x0d\x03" + bytes(100))
    with pytest.raises(MnistError, match="magic number 0x00000d03"):
        read_idx(path)


def test_images_and_labels_must_agree(tmp_path):
    write_split(tmp_path, "test", 4)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(3, np.uint8))
    with pytest.raises(MnistError, match="4 images but"):
        load_mnist(tmp_path, "test")
