"""Datasets held on the device: MNIST-style IDX ``.gz`` files, or any folder of images.

The whole split is stored once as a uint8 tensor on the training device (60k x 784 bytes
is 47 MB) and batches are drawn there by index, so the training loop never copies from
host to device and never runs a DataLoader.  Files are read in place from a local
directory; torchvision's downloader is used only when asked (``download=True``), or when
no directory is given and the dataset is not yet in its default place
(:func:`default_data_dir`).  ``dataset="folder"`` reads a folder of PNG/JPEG images instead
(:mod:`raygan.image_folder`: class subfolders or flat, 28, 32 or 64 pixels, grey or colour).
"""
from __future__ import annotations

import gzip
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from raygan.errors import RayganError


@dataclass(frozen=True)
class DatasetInfo:
    """What models, metrics and exports need to know about a dataset: its images and classes."""

    name: str
    image_shape: tuple[int, int, int]  # (channels, height, width)
    class_names: tuple[str, ...]  # empty for an unlabelled image folder
    fingerprint: str = ""  # an image folder's cache key (files, sizes, times, shape); "" for a known dataset

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def labelled(self) -> bool:
        """Whether images come with classes (what conditional models and class metrics need)."""
        return self.num_classes >= 2


KNOWN_DATASETS = {
    "mnist": DatasetInfo("mnist", (1, 28, 28), tuple("0123456789")),
    "fashion_mnist": DatasetInfo("fashion_mnist", (1, 28, 28), (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")),
}
FOLDER = "folder"  # a folder of images: shape and classes come from the folder
DATASETS = (*KNOWN_DATASETS, FOLDER)


def dataset_info(name) -> DatasetInfo:
    """The :class:`DatasetInfo` of a dataset raygan knows by name (an info is returned as it is)."""
    if isinstance(name, DatasetInfo):
        return name
    if name == FOLDER:
        raise RayganError("an image folder's shape and classes come from its images; load it with "
                          "load_dataset('folder', FOLDER) and pass the data's info")
    if name not in KNOWN_DATASETS:
        raise RayganError(f"unknown dataset '{name}'; choose one of {', '.join(DATASETS)}")
    return KNOWN_DATASETS[name]


def detect_dataset(data_dir) -> str:
    """``folder`` when ``data_dir`` holds images and no IDX files, else ``mnist`` (the default)."""
    from raygan.image_folder import holds_images

    root = Path(data_dir).expanduser() if data_dir is not None else None
    if root is None or not root.is_dir() or any(root.glob("*-ubyte.gz")) or (root / "MNIST").is_dir():
        return "mnist"
    return FOLDER if holds_images(root) else "mnist"


SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
# Where torchvision's own downloader puts the raw files under a data root.
_TORCHVISION_SUBDIRS = {"mnist": "MNIST/raw", "fashion_mnist": "FashionMNIST/raw"}
_HOW_TO_GET = {
    "mnist": "copy the four MNIST IDX .gz files there, or pass download=True / --download when online",
    "fashion_mnist": "install Debian's dataset-fashion-mnist (files in /usr/share/datasets/fashion-mnist) "
                     "or pass download=True / --download when online",
}


@dataclass
class ImageData:
    """One split resident on a device: uint8 images (N, C, H, W), int64 labels (N,) and what they are."""

    info: DatasetInfo
    images: torch.Tensor
    labels: torch.Tensor

    @property
    def name(self) -> str:
        return self.info.name

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def device(self) -> torch.device:
        return self.images.device

    def to(self, device) -> "ImageData":
        return ImageData(self.info, self.images.to(device), self.labels.to(device))

    def batch(self, size: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw ``size`` random examples (with replacement) as floats in [-1, 1], on-device."""
        index = torch.randint(len(self), (size,), device=self.device, generator=generator)
        return to_unit_range(self.images[index]), self.labels[index]

    def floats(self, start: int = 0, stop: int | None = None) -> torch.Tensor:
        """Images ``start:stop`` as floats in [-1, 1]."""
        return to_unit_range(self.images[start:stop])


def to_unit_range(images_uint8: torch.Tensor) -> torch.Tensor:
    """Map uint8 pixels 0..255 to floats in [-1, 1], the range of a tanh generator."""
    return images_uint8.float().div_(127.5).sub_(1.0)


DATA_ENV = "RAYGAN_DATA"  # the folder that holds one subfolder per dataset, when no --data-dir is given


def default_data_dir(name: str) -> Path:
    """Where a dataset lives when no folder is given: ``$RAYGAN_DATA/<name>``, else the per-user
    data folder (``$XDG_DATA_HOME/raygan/<name>``, by default ``~/.local/share/raygan/<name>``)."""
    base = os.environ.get(DATA_ENV)
    if not base:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "raygan"
    return Path(base).expanduser() / name


def data_location(name: str, data_dir, download: bool = False) -> tuple[Path, bool]:
    """The folder to read ``name`` from and whether it may be downloaded there: ``data_dir`` as given,
    or the default place, downloaded into when the files are not there yet (and the machine is online)."""
    if data_dir is not None:
        return Path(data_dir).expanduser(), download
    return default_data_dir(name), True


def load_dataset(name: str, data_dir, split: str = "train", device="cpu", download: bool = False,
                 image_size: int | None = None, channels: int | None = None, log=None) -> ImageData:
    """Load ``split`` ("train" or "test") of dataset ``name`` from ``data_dir`` onto ``device``.

    For ``name="folder"``, ``image_size`` and ``channels`` (default: the images') set the shape
    and ``log`` gets the loader's warnings (skipped files).
    """
    if split not in SPLIT_FILES:
        raise RayganError(f"unknown split '{split}'; choose train or test")
    check_data_options(name, image_size, channels)
    if name == FOLDER:
        return load_folder_splits(data_dir, device, image_size, channels, log)[split == "test"]
    info = dataset_info(name)
    folder = find_files(name, data_dir, download)
    image_file, label_file = (folder / f for f in SPLIT_FILES[split])
    images = read_idx(image_file, expected_dims=3)
    labels = read_idx(label_file, expected_dims=1)
    if images.shape[0] != labels.shape[0] or images.shape[1:] != info.image_shape[1:]:
        raise RayganError(
            f"{image_file} and {label_file} do not match (images {images.shape}, labels {labels.shape}); "
            "re-copy the dataset files"
        )
    images_t = torch.from_numpy(images).unsqueeze(1)
    labels_t = torch.from_numpy(labels.astype(np.int64))
    return ImageData(info, images_t.to(device), labels_t.to(device))


def check_data_options(name: str, image_size: int | None, channels: int | None) -> None:
    """``image_size`` and ``channels`` fit ``name``: one of the supported values for an image folder,
    nothing (or the dataset's own) for a known dataset."""
    if name == FOLDER:
        from raygan.image_folder import check_shape_options

        check_shape_options(image_size, channels)
        return
    shape = dataset_info(name).image_shape
    if image_size not in (None, shape[1]) or channels not in (None, shape[0]):
        raise RayganError(f"{name} is {shape[1]}x{shape[2]} with {shape[0]} channel; image_size and channels "
                          "apply to image folders (dataset folder)")


def load_folder_splits(data_dir, device="cpu", image_size: int | None = None, channels: int | None = None,
                       log=None) -> tuple[ImageData, ImageData]:
    """The train and test splits of an image folder from one scan and one decode (or cache read)."""
    from raygan.image_folder import check_shape_options, load_folder

    check_shape_options(image_size, channels)
    decoded = load_folder(find_files(FOLDER, data_dir), image_size, channels, log=log)
    info = DatasetInfo(decoded.name, tuple(decoded.train_images.shape[1:]), decoded.class_names, decoded.fingerprint)
    return (ImageData(info, decoded.train_images.to(device), decoded.train_labels.to(device)),
            ImageData(info, decoded.test_images.to(device), decoded.test_labels.to(device)))


def find_files(name: str, data_dir, download: bool = False) -> Path:
    """Return the folder holding all four IDX files of ``name`` (or, for ``folder``, the image folder);
    download or fail clearly."""
    if name == FOLDER:
        from raygan.image_folder import holds_images

        root = Path(data_dir).expanduser() if data_dir is not None else None
        if root is None or not root.is_dir() or not holds_images(root):
            raise RayganError(f"dataset folder needs --data-dir FOLDER holding PNG/JPEG images (in class "
                              f"subfolders for labels), got {root}")
        return root
    if data_dir is None:
        raise RayganError(f"no data directory given for {name}; pass --data-dir DIR ({_HOW_TO_GET[name]})")
    root = Path(data_dir).expanduser()
    if root.exists() and not root.is_dir():
        raise RayganError(f"{name} data directory {root} is a file; pass the folder that holds the dataset's files")
    needed = [f for pair in SPLIT_FILES.values() for f in pair]
    for folder in (root, root / _TORCHVISION_SUBDIRS[name]):
        if all((folder / f).is_file() for f in needed):
            return folder
    if download:
        _download(name, root)
        return root / _TORCHVISION_SUBDIRS[name]
    missing = [f for f in needed if not (root / f).is_file()]
    where = "does not exist" if not root.is_dir() else f"lacks {', '.join(missing)}"
    raise RayganError(f"{name} data directory {root} {where}; {_HOW_TO_GET[name]}")


def _download(name: str, root: Path) -> None:
    from torchvision import datasets  # imported here: only needed online

    cls = {"mnist": datasets.MNIST, "fashion_mnist": datasets.FashionMNIST}[name]
    try:
        for train in (True, False):
            cls(str(root), train=train, download=True)
    except Exception as err:  # torchvision raises URLError, RuntimeError, ... when offline
        raise RayganError(
            f"could not download {name} into {root} ({type(err).__name__}); "
            f"without internet, {_HOW_TO_GET[name].split(', or')[0]} (or pass --data-dir FOLDER, or set "
            f"{DATA_ENV} to a folder with a {name}/ subfolder)"
        ) from None


def read_idx(path: Path, expected_dims: int) -> np.ndarray:
    """Read a gzipped IDX file of unsigned bytes (the MNIST format) into a numpy array."""
    try:
        with gzip.open(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError, zlib.error) as err:
        raise RayganError(f"cannot read {path} ({err}); the file is truncated or corrupt, re-copy it") from None
    if len(raw) < 4 + 4 * expected_dims:
        raise RayganError(f"{path} is too short to be an IDX file; re-copy it")
    zero, dtype_code, dims = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08 or dims != expected_dims:
        raise RayganError(f"{path} is not an IDX file of {expected_dims}-d unsigned bytes; re-copy it")
    shape = struct.unpack(f">{dims}I", raw[4:4 + 4 * dims])
    body = raw[4 + 4 * dims:]
    if len(body) != int(np.prod(shape)):
        raise RayganError(f"{path} holds {len(body)} bytes but its header promises {int(np.prod(shape))}; re-copy it")
    return np.frombuffer(body, dtype=np.uint8).reshape(shape).copy()
