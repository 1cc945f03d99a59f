"""MNIST-style datasets as the four IDX ``.gz`` files: located in a folder, named by their content, read in
place, downloaded on request.

Files are read in place from a local directory; torchvision's downloader is used only when
asked (``download=True``), or when no directory is given and the dataset is not yet in its
default place (:func:`~raygan.data.locations.default_data_dir`).

MNIST and Fashion-MNIST share their file names, so the files say which one they are by their
content (:func:`identify`): a digest of the first :data:`DIGEST_BYTES` of each file once
decompressed, which covers the four headers (with the image counts), both label files whole and
the first 83 images of each split.  The decompressed bytes, not the ``.gz`` files: the same data
is shipped compressed differently (Debian's Fashion-MNIST files lack the original file name in
their gzip header, and a user may recompress).  Reading 64 KiB of each file takes milliseconds.
"""
from __future__ import annotations

import gzip
import hashlib
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

DIGEST_BYTES = 1 << 16  # of each decompressed file (label files are at most 60,008 bytes: read whole)
KNOWN_DIGESTS = {  # sha256 of DIGEST_BYTES of each file, in SPLIT_FILES order
    "9387bc1183ace5d10a9bf68d534dc6288d14d80ba9a8e7cfdb6e99221d5150ac": "mnist",
    "7e1cc2c3f60f0dccfe2b82ba29e019e57afd41d322794b20ed5cd5abdc58f09b": "fashion_mnist",
}


def holds_idx_files(folder: Path) -> bool:
    """Whether ``folder`` looks like an IDX dataset (IDX files, or torchvision's download of one)."""
    return any(folder.glob("*-ubyte.gz")) or any((folder / sub).is_dir() for sub in TORCHVISION_SUBDIRS.values())


def complete_folder(root: Path, names=tuple(TORCHVISION_SUBDIRS)) -> Path | None:
    """The folder holding all four IDX files: ``root`` or torchvision's subfolder of it for one of ``names``."""
    for folder in (root, *(root / TORCHVISION_SUBDIRS[name] for name in names)):
        if all((folder / f).is_file() for pair in SPLIT_FILES.values() for f in pair):
            return folder
    return None


def content_digest(folder: Path) -> str:
    """The digest :data:`KNOWN_DIGESTS` names datasets by, of the four files in ``folder`` (each checked to be
    an IDX file: a corrupt one is named as such, not taken for another dataset)."""
    digest = hashlib.sha256()
    for pair in SPLIT_FILES.values():
        for name, dims in zip(pair, (3, 1)):
            head = _read(folder / name, DIGEST_BYTES)
            _shape(folder / name, head, dims)
            digest.update(head)
    return digest.hexdigest()


def identify(root: Path) -> str | None:
    """``mnist`` or ``fashion_mnist`` by the content of the IDX files in ``root`` (or torchvision's subfolder);
    None when ``root`` lacks some of the four files; a one-line error for files of neither dataset."""
    folder = complete_folder(root)
    if folder is None:
        return None
    digest = content_digest(folder)
    if digest not in KNOWN_DIGESTS:
        raise RayganError(f"{folder} holds IDX files that are neither MNIST nor Fashion-MNIST (content digest "
                          f"{digest[:12]}); raygan reads IDX files of those two only: restore their original files, "
                          "or save the images as PNGs in class subfolders to train on them as an image folder",
                          fields="data_dir")
    return KNOWN_DIGESTS[digest]


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
    folder = complete_folder(root, (name,))
    if folder is not None:
        return folder
    if download:
        _download(name, root)
        return root / TORCHVISION_SUBDIRS[name]
    missing = [f for pair in SPLIT_FILES.values() for f in pair if not (root / f).is_file()]
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
    raw = _read(path)
    shape = _shape(path, raw, expected_dims)
    body = raw[4 + 4 * expected_dims:]
    if len(body) != int(np.prod(shape)):
        raise RayganError(f"{path} holds {len(body)} bytes but its header promises {int(np.prod(shape))}; re-copy it")
    return np.frombuffer(body, dtype=np.uint8).reshape(shape).copy()


def _read(path: Path, size: int = -1) -> bytes:
    """The first ``size`` decompressed bytes of ``path`` (-1: all)."""
    try:
        with gzip.open(path, "rb") as fh:
            return fh.read(size)
    except (OSError, EOFError, zlib.error) as err:
        raise RayganError(f"cannot read {path} ({err}); the file is truncated or corrupt, re-copy it") from None


def _shape(path: Path, raw: bytes, expected_dims: int) -> tuple[int, ...]:
    """The shape in the IDX header that starts ``raw``; a one-line error unless it is one of unsigned bytes."""
    if len(raw) < 4 + 4 * expected_dims:
        raise RayganError(f"{path} is too short to be an IDX file; re-copy it")
    zero, dtype_code, dims = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08 or dims != expected_dims:
        raise RayganError(f"{path} is not an IDX file of {expected_dims}-d unsigned bytes; re-copy it")
    return struct.unpack(f">{dims}I", raw[4:4 + 4 * dims])
