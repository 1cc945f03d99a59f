"""MNIST-style datasets as the four IDX ``.gz`` files: located in a folder, read in place, downloaded on request.

Files are read in place from a local directory; torchvision's downloader is used only when
asked (``download=True``), or when no directory is given and the dataset is not yet in its
default place (:func:`~raygan.data.locations.default_data_dir`).
"""
from __future__ import annotations

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np
import torch

from raygan.data.images import ImageData
from raygan.data.info import DatasetInfo
from raygan.data.locations import DATA_ENV
from raygan.errors import RayganError

SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
# Where torchvision's own downloader puts the raw files under a data root.
TORCHVISION_SUBDIRS = {"mnist": "MNIST/raw", "fashion_mnist": "FashionMNIST/raw"}
HOW_TO_GET = {
    "mnist": "copy the four MNIST IDX .gz files there, or pass download=True when online",
    "fashion_mnist": "install Debian's dataset-fashion-mnist (files in /usr/share/datasets/fashion-mnist) "
                     "or pass download=True when online",
}


def holds_idx_files(folder: Path) -> bool:
    """Whether ``folder`` looks like an IDX dataset (IDX files, or torchvision's download of one)."""
    return any(folder.glob("*-ubyte.gz")) or (folder / "MNIST").is_dir()


def locate(name: str, data_dir, download: bool = False) -> Path:
    """The folder holding all four IDX files of ``name``: ``data_dir`` or torchvision's subfolder of it;
    downloaded there (``download``) or a one-line error naming what is missing."""
    if data_dir is None:
        raise RayganError(f"no data directory given for {name}; pass data_dir ({HOW_TO_GET[name]})",
                          fields=("data_dir", "download"))
    root = Path(data_dir).expanduser()
    if root.exists() and not root.is_dir():
        raise RayganError(f"{name} data_dir {root} is a file; pass the folder that holds the dataset's files",
                          fields="data_dir")
    needed = [f for pair in SPLIT_FILES.values() for f in pair]
    for folder in (root, root / TORCHVISION_SUBDIRS[name]):
        if all((folder / f).is_file() for f in needed):
            return folder
    if download:
        _download(name, root)
        return root / TORCHVISION_SUBDIRS[name]
    missing = [f for f in needed if not (root / f).is_file()]
    where = "does not exist" if not root.is_dir() else f"lacks {', '.join(missing)}"
    raise RayganError(f"{name} data_dir {root} {where}; {HOW_TO_GET[name]}", fields=("data_dir", "download"))


def load_split(info: DatasetInfo, folder: Path, split: str, device="cpu") -> ImageData:
    """``split`` ("train" or "test") of the IDX files in ``folder`` (from :func:`locate`) on ``device``."""
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


def _download(name: str, root: Path) -> None:
    from torchvision import datasets  # imported here: only needed online

    cls = {"mnist": datasets.MNIST, "fashion_mnist": datasets.FashionMNIST}[name]
    try:
        for train in (True, False):
            cls(str(root), train=train, download=True)
    except Exception as err:  # torchvision raises URLError, RuntimeError, ... when offline
        raise RayganError(
            f"could not download {name} into {root} ({type(err).__name__}); "
            f"without internet, {HOW_TO_GET[name].split(', or')[0].split(' or pass')[0]} (or pass data_dir, or set "
            f"{DATA_ENV} to a folder with a {name}/ subfolder)", fields="data_dir"
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
