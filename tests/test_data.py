"""Real MNIST / Fashion-MNIST from local IDX files, named by their content, and clear errors when they are
missing, broken, of neither dataset or contradict the dataset asked for."""
import gzip
import shutil
import struct

import numpy as np
import pytest
import torch
from PIL import Image

from raygan.data import detect_dataset, load_dataset, measured_against, open_source, resolve_dataset, resolve_source
from raygan.data.idx import SPLIT_FILES, read_idx
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


def write_idx(path, array) -> None:
    """``array`` (uint8) as a gzipped IDX file, as MNIST's own are made."""
    with gzip.open(path, "wb", compresslevel=1) as fh:
        fh.write(struct.pack(">HBB", 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape))
        fh.write(array.astype(np.uint8).tobytes())


def idx_copy(source, folder, rewrite=None):
    """``folder`` holding links to ``source``'s four IDX files, those in ``rewrite`` (name -> array) written anew."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in (f for pair in SPLIT_FILES.values() for f in pair):
        if rewrite and name in rewrite:
            write_idx(folder / name, rewrite[name])
        else:
            (folder / name).symlink_to(source / name)
    return folder


@pytest.mark.parametrize("fixture, dataset", [("mnist_dir", "mnist"), ("fashion_dir", "fashion_mnist")])
def test_idx_files_are_named_by_their_content(fixture, dataset, request, tmp_path):
    folder = request.getfixturevalue(fixture)
    assert detect_dataset(folder) == dataset
    assert load_dataset(None, folder, "test").info.name == dataset  # the files' own classes and evaluator
    # the same data compressed anew (other .gz bytes, as another distribution ships it) is still that dataset
    names = ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")
    again = idx_copy(folder, tmp_path / "again", {name: read_idx(folder / name, dims)
                                                  for name, dims in zip(names, (3, 1))})
    assert (again / "t10k-images-idx3-ubyte.gz").read_bytes() != (folder / "t10k-images-idx3-ubyte.gz").read_bytes()
    assert detect_dataset(again) == dataset
    # torchvision's download layout under a data root
    raw = idx_copy(folder, tmp_path / "root" / ("MNIST" if dataset == "mnist" else "FashionMNIST") / "raw")
    assert detect_dataset(raw.parents[1]) == dataset


def test_nothing_to_tell_by_is_no_dataset(tmp_path, mnist_dir):
    assert detect_dataset(None) is None and detect_dataset(tmp_path / "nowhere") is None
    assert detect_dataset(tmp_path) is None  # empty: a download may go there
    for name in SPLIT_FILES["train"]:
        (tmp_path / name).symlink_to(mnist_dir / name)
    assert detect_dataset(tmp_path) is None  # incomplete: loading names what is missing


@pytest.mark.parametrize("change", ["inverted", "subset"])
def test_idx_files_of_neither_dataset_are_a_one_line_error(change, mnist_dir, tmp_path):
    images = read_idx(mnist_dir / "t10k-images-idx3-ubyte.gz", 3)
    labels = read_idx(mnist_dir / "t10k-labels-idx1-ubyte.gz", 1)
    rewrite = ({"t10k-images-idx3-ubyte.gz": 255 - images} if change == "inverted" else
               {"t10k-images-idx3-ubyte.gz": images[:1000], "t10k-labels-idx1-ubyte.gz": labels[:1000]})
    folder = idx_copy(mnist_dir, tmp_path / change, rewrite)
    for call in (lambda: detect_dataset(folder), lambda: load_dataset("mnist", folder)):
        with pytest.raises(RayganError) as err:
            call()
        message = str(err.value)
        assert "neither MNIST nor Fashion-MNIST" in message and str(folder) in message and "\n" not in message
        assert "image folder" in message and err.value.fields == ("data_dir",)


def test_a_dataset_contradicting_the_files_is_a_one_line_error(mnist_dir, fashion_dir, tmp_path):
    with pytest.raises(RayganError) as err:
        load_dataset("mnist", fashion_dir)
    assert str(err.value) == (f"dataset mnist contradicts data_dir {fashion_dir}, which holds fashion_mnist IDX files; "
                              "pass dataset fashion_mnist, or leave it out to use what the folder holds")
    assert set(err.value.fields) == {"dataset", "data_dir"}
    with pytest.raises(RayganError, match=f"dataset folder contradicts data_dir {mnist_dir}, which holds mnist IDX"):
        open_source("folder", mnist_dir)
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(tmp_path / "a.png")
    with pytest.raises(RayganError, match="dataset fashion_mnist contradicts .* which holds an image folder"):
        open_source("fashion_mnist", tmp_path)


def test_the_files_decide_over_a_declared_dataset(mnist_dir, fashion_dir, monkeypatch, tmp_path):
    """What train, search and the Python API run on: the files' dataset, else the user's, else the declared one."""
    source = resolve_source("mnist", fashion_dir)  # a space declaring mnist, on Fashion-MNIST files
    assert (source.dataset, source.folder, source.info.class_names[0]) == ("fashion_mnist", fashion_dir, "T-shirt/top")
    assert resolve_source("fashion_mnist", mnist_dir, "mnist").dataset == "mnist"
    with pytest.raises(RayganError, match="dataset fashion_mnist contradicts data_dir"):
        resolve_source("mnist", mnist_dir, "fashion_mnist")
    monkeypatch.setenv("RAYGAN_DATA", str(tmp_path))
    (tmp_path / "fashion_mnist").symlink_to(fashion_dir)
    given = resolve_source("folder", None, "fashion_mnist", declared_dir="/the/space/folder")
    assert (given.dataset, given.folder) == ("fashion_mnist", tmp_path / "fashion_mnist")  # its default place
    assert resolve_dataset("mnist") == "mnist" and resolve_dataset(None) is None
    with pytest.raises(RayganError, match="unknown dataset 'cifar10'"):
        resolve_dataset("mnist", fashion_dir, "cifar10")


def test_a_generator_is_measured_against_its_own_data_or_the_idx_files_a_folder_came_from(
        mnist_dir, fashion_dir, flat_folder):
    """What ``raygan.evaluate`` measures a generator against: the files speak for a folder-trained one (a folder is
    often cut from MNIST or Fashion-MNIST); another mismatch, or another shape, is a one-line error."""
    grey, colour = (1, 28, 28), (3, 32, 32)
    assert measured_against("fashion_mnist", grey) == "fashion_mnist"  # no folder: metrics that need no data
    assert measured_against("fashion_mnist", grey, fashion_dir) == "fashion_mnist"
    assert measured_against("folder", grey, fashion_dir) == "fashion_mnist"  # the dataset the folder came from
    assert measured_against("folder", grey, flat_folder) == "folder"
    assert measured_against("mnist", grey, fashion_dir, "fashion_mnist") == "fashion_mnist"  # asked for
    with pytest.raises(RayganError) as err:
        measured_against("mnist", grey, fashion_dir)
    assert str(err.value) == (f"the generator was trained on mnist, but data_dir {fashion_dir} holds fashion_mnist "
                              "IDX files; pass mnist's files, or dataset fashion_mnist to measure it against these")
    assert set(err.value.fields) == {"dataset", "data_dir"}
    with pytest.raises(RayganError, match="trained on fashion_mnist, but data_dir .* holds an image folder"):
        measured_against("fashion_mnist", grey, flat_folder)
    with pytest.raises(RayganError, match="draws 3x32x32 images and mnist's are 1x28x28; measure it against the "
                                          "image folder it was trained on"):
        measured_against("folder", colour, mnist_dir)
    with pytest.raises(RayganError, match="dataset folder contradicts data_dir"):
        measured_against("folder", grey, mnist_dir, "folder")
    # a conditional generator's labels must mean the dataset's classes
    assert measured_against("folder", grey, mnist_dir, class_names=list("0123456789")) == "mnist"
    with pytest.raises(RayganError, match=r"the generator's classes \(cat, dog\) are not mnist's \(0, 1, 2.*; "
                                          "measure it against the image folder it was trained on"):
        measured_against("folder", grey, mnist_dir, class_names=["cat", "dog"])
    with pytest.raises(RayganError,
                       match=r"are not fashion_mnist's \(T-shirt/top, .*; measure it against mnist's files"):
        measured_against("mnist", grey, fashion_dir, "fashion_mnist", class_names=list("0123456789"))


def test_the_data_line_counts_the_training_and_held_out_images(mnist_dir, flat_folder):
    from raygan.data import load_dataset
    from raygan.data.prepare import summary_line

    train, test = load_dataset("mnist", mnist_dir, "train"), load_dataset("mnist", mnist_dir, "test")
    assert summary_line(train, test) == "data: mnist, 60,000 training images (1x28x28, 10 classes), 10,000 held out"
    flat = [load_dataset("folder", flat_folder, split) for split in ("train", "test")]
    line = summary_line(*flat)
    assert line.endswith(", no classes), 60 held out") and "540 training images (1x28x28" in line
