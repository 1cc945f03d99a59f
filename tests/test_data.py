"""Real MNIST / Fashion-MNIST from local IDX files, and clear errors when they are missing or broken."""
import gzip
import shutil

import pytest
import torch

from raygan.data import load_dataset
from raygan.data.idx import SPLIT_FILES
from raygan.errors import RayganError


@pytest.mark.parametrize("dataset, fixture", [("mnist", "mnist_dir"), ("fashion_mnist", "fashion_dir")])
def test_loads_both_splits(dataset, fixture, request):
    folder = request.getfixturevalue(fixture)
    train = load_dataset(dataset, folder, "train")
    test = load_dataset(dataset, folder, "test")
    assert (len(train), len(test)) == (60000, 10000)
    assert train.images.dtype == torch.uint8 and train.images.shape[1:] == (1, 28, 28)
    assert sorted(train.labels.unique().tolist()) == list(range(10))
    floats = test.floats(0, 100)
    assert floats.min() == -1 and floats.max() == 1  # MNIST has pure black and pure white pixels


def test_batches_are_drawn_on_the_data_device(mnist_dir):
    data = load_dataset("mnist", mnist_dir, "test")
    rng = torch.Generator().manual_seed(0)
    images, labels = data.batch(32, rng)
    assert images.shape == (32, 1, 28, 28) and images.dtype == torch.float32 and labels.shape == (32,)
    again, _ = data.batch(32, torch.Generator().manual_seed(0))
    assert torch.equal(images, again)


def test_missing_directory_names_files_and_fix(tmp_path):
    with pytest.raises(RayganError) as err:
        load_dataset("mnist", tmp_path / "nowhere")
    message = str(err.value)
    assert "nowhere" in message and "does not exist" in message and "download=True" in message
    assert {"data_dir", "download"} <= set(err.value.fields)  # a CLI words them as its flags


def test_missing_file_is_named(tmp_path, mnist_dir):
    for name in SPLIT_FILES["train"]:
        shutil.copy(mnist_dir / name, tmp_path / name)
    with pytest.raises(RayganError, match="t10k-images-idx3-ubyte.gz"):
        load_dataset("mnist", tmp_path)


def test_truncated_gz_is_reported(tmp_path, mnist_dir):
    for pair in SPLIT_FILES.values():
        for name in pair:
            shutil.copy(mnist_dir / name, tmp_path / name)
    raw = (mnist_dir / "t10k-images-idx3-ubyte.gz").read_bytes()
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(RayganError, match="truncated or corrupt"):
        load_dataset("mnist", tmp_path, "test")
    with gzip.open(tmp_path / "t10k-images-idx3-ubyte.gz", "wb") as fh:
        fh.write(b"not an idx file at all")
    with pytest.raises(RayganError, match="not an IDX file"):
        load_dataset("mnist", tmp_path, "test")


def test_torchvision_layout_is_found(tmp_path, mnist_dir):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for pair in SPLIT_FILES.values():
        for name in pair:
            (raw / name).symlink_to(mnist_dir / name)
    assert len(load_dataset("mnist", tmp_path, "test")) == 10000


def test_unknown_dataset():
    with pytest.raises(RayganError, match="unknown dataset 'cifar10'"):
        load_dataset("cifar10", ".")
