"""One source per kind of data: it locates the data (failing early, before any work), loads both
splits, and names its kind.  :func:`resolve_dataset` is the one place that decides which dataset a
name and a folder are (the files' content first), :func:`open_source` opens it.

- :class:`IdxSource`: MNIST or Fashion-MNIST as the four IDX ``.gz`` files (:mod:`.idx`);
- :class:`FolderSource`: a folder of PNG/JPEG images (:mod:`.folder`), read at ``image_size``
  and ``channels`` (default: the images').
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import raygan.data.folder as image_folder
import raygan.data.idx as idx
from raygan.data.images import ImageData
from raygan.data.info import DATASETS, FOLDER, IDX, DatasetInfo, dataset_info
from raygan.data.locations import data_location
from raygan.errors import RayganError


@dataclass(frozen=True)
class IdxSource:
    """A dataset raygan knows by name, as IDX files in ``folder`` (located, possibly downloaded, on creation)."""

    info: DatasetInfo
    folder: Path
    kind = IDX

    @property
    def name(self) -> str:
        """The dataset's short name, for run names and logs."""
        return self.info.name

    @property
    def dataset(self) -> str:
        """The config's ``dataset`` value."""
        return self.info.name

    def load(self, device="cpu", log=None) -> tuple[ImageData, ImageData]:
        """The train and test splits on ``device``."""
        return tuple(idx.load_split(self.info, self.folder, split, device) for split in ("train", "test"))


@dataclass(frozen=True)
class FolderSource:
    """A folder of images, read at ``image_size`` and ``channels`` (None: the images')."""

    root: Path
    image_size: int | None = None
    channels: int | None = None
    kind = FOLDER
    dataset = FOLDER

    @property
    def folder(self) -> Path:
        return self.root

    @property
    def name(self) -> str:
        return image_folder.dataset_name(self.root)

    def load(self, device="cpu", log=None) -> tuple[ImageData, ImageData]:
        """The train and test splits from one scan and one decode (or cache read)."""
        decoded = image_folder.load_folder(self.root, self.image_size, self.channels, log=log)
        info = DatasetInfo(decoded.name, tuple(decoded.train_images.shape[1:]), decoded.class_names,
                           decoded.fingerprint, kind=FOLDER)
        return (ImageData(info, decoded.train_images.to(device), decoded.train_labels.to(device)),
                ImageData(info, decoded.test_images.to(device), decoded.test_labels.to(device)))


Source = IdxSource | FolderSource


def detect_dataset(data_dir) -> str | None:
    """What ``data_dir`` holds, by its content: ``mnist`` or ``fashion_mnist`` (IDX files, told apart by
    :func:`raygan.data.idx.identify`), ``folder`` (images), or None when there is nothing to tell by (no
    folder, an empty one, some IDX files missing).  IDX files of neither dataset are a one-line error."""
    root = Path(data_dir).expanduser() if data_dir is not None else None
    if root is None or not root.is_dir():
        return None
    if idx.holds_idx_files(root):
        return idx.identify(root)
    return FOLDER if image_folder.holds_images(root) else None


def _held(found: str) -> str:
    """What a folder :func:`detect_dataset` named holds, in an error's words."""
    return "an image folder" if found == FOLDER else f"{found} IDX files"


def resolve_dataset(declared: str | None, data_dir=None, dataset: str | None = None) -> str | None:
    """The dataset a run on ``data_dir`` trains on: what its files are (:func:`detect_dataset`), else
    ``dataset`` (what the user asked for), else ``declared`` (the search space's or model config's).

    Files speak for themselves, as an image folder replaces a space's data: Fashion-MNIST files make a
    Fashion-MNIST run of a space that declares ``mnist``.  A ``dataset`` that contradicts them is a
    one-line error naming both.
    """
    if dataset is not None and dataset not in DATASETS:
        raise RayganError(f"unknown dataset '{dataset}'; choose one of {', '.join(DATASETS)}", fields="dataset")
    found = detect_dataset(data_dir)
    if found is not None and dataset is not None and dataset != found:
        raise RayganError(f"dataset {dataset} contradicts data_dir {data_dir}, which holds {_held(found)}; "
                          f"pass dataset {found}, or leave it out to use what the folder holds",
                          fields=("dataset", "data_dir"))
    return found or dataset or declared


def measured_against(trained_on: str, image_shape, data_dir=None, dataset: str | None = None,
                     class_names=None) -> str:
    """The dataset a generator trained on ``trained_on``, drawing ``image_shape`` images (of ``class_names``
    when conditional), is measured against, given the user's ``data_dir`` and ``dataset`` (None: decided here).

    Without ``dataset``: the generator's own, unless ``data_dir`` holds something else.  IDX files of a known
    dataset replace an image folder (a folder is often cut from one, and its own evaluator sees only its
    held-out images); any other mismatch is a one-line error naming both, since measuring against another
    dataset's files by accident would print a number that looks real.  A known dataset's images must have the
    generator's shape, and a conditional generator's classes must be its classes, in its order.
    """
    if dataset is not None:
        name = resolve_dataset(trained_on, data_dir, dataset)
    else:
        found = detect_dataset(data_dir)
        name = found if found is not None and trained_on == FOLDER else trained_on
        if found is not None and found != name:
            raise RayganError(f"the generator was trained on {trained_on}, but data_dir {data_dir} holds "
                              f"{_held(found)}; pass {trained_on}'s files, or dataset {found} to measure it against "
                              "these", fields=("data_dir", "dataset"))
    if name == FOLDER:
        return name
    info = dataset_info(name)
    own = "the image folder it was trained on" if trained_on == FOLDER else f"{trained_on}'s files"
    if info.image_shape != tuple(image_shape):
        drawn, wanted = ("x".join(map(str, shape)) for shape in (image_shape, info.image_shape))
        raise RayganError(f"the generator draws {drawn} images and {name}'s are {wanted}; measure it against {own}",
                          fields=("data_dir", "dataset"))
    if class_names is not None and tuple(class_names) != info.class_names:
        raise RayganError(f"the generator's classes ({', '.join(class_names)}) are not {name}'s "
                          f"({', '.join(info.class_names)}); measure it against {own}", fields=("data_dir", "dataset"))
    return name


def resolve_source(declared: str, data_dir=None, dataset: str | None = None, declared_dir=None,
                   download: bool = False, image_size: int | None = None, channels: int | None = None) -> Source:
    """The source of a run of a search space or model config that declares the dataset ``declared`` (an image
    folder ``declared_dir``), given the user's ``data_dir`` and ``dataset`` (:func:`resolve_dataset`); located now.

    Without ``data_dir``, the declared folder is read when the dataset stays the declared one, else the
    dataset's default place.
    """
    name = resolve_dataset(declared, data_dir, dataset)
    folder = data_dir if data_dir is not None else declared_dir if name == declared else None
    return open_source(name, folder, download, image_size, channels)


def open_source(dataset: str | None, data_dir=None, download: bool = False, image_size: int | None = None,
                channels: int | None = None) -> Source:
    """The source of ``dataset`` (None: what ``data_dir`` holds, by default ``mnist``), located now; a one-line
    error when ``data_dir`` holds another dataset (:func:`resolve_dataset`).

    For a known dataset, ``data_dir`` None means its default place, downloaded into when the
    files are missing (:func:`~raygan.data.locations.data_location`); ``download`` allows a
    download into a given ``data_dir``.  ``image_size`` and ``channels`` apply to image folders.
    """
    dataset = resolve_dataset("mnist", data_dir, dataset)
    check_data_options(dataset, image_size, channels)
    if dataset == FOLDER:
        root = Path(data_dir).expanduser() if data_dir is not None else None
        if root is None or not root.is_dir() or not image_folder.holds_images(root):
            raise RayganError(f"dataset folder needs data_dir, a folder holding PNG/JPEG images (in class "
                              f"subfolders for labels), got {root}", fields="data_dir")
        return FolderSource(root, image_size, channels)
    info = dataset_info(dataset)
    folder, may_download = data_location(dataset, data_dir, download)
    return IdxSource(info, idx.locate(dataset, folder, may_download))


def check_data_options(dataset: str, image_size: int | None, channels: int | None) -> None:
    """``image_size`` and ``channels`` fit ``dataset``: one of the supported values for an image folder,
    nothing (or the dataset's own) for a known dataset."""
    if dataset not in DATASETS:
        raise RayganError(f"unknown dataset '{dataset}'; choose one of {', '.join(DATASETS)}", fields="dataset")
    if dataset == FOLDER:
        image_folder.check_shape_options(image_size, channels)
        return
    shape = dataset_info(dataset).image_shape
    if image_size not in (None, shape[1]) or channels not in (None, shape[0]):
        raise RayganError(f"{dataset} is {shape[1]}x{shape[2]} with {shape[0]} channel; image_size and channels "
                          "apply to image folders (dataset folder)", fields=("image_size", "channels"))


def load_dataset(name: str | None, data_dir, split: str = "train", device="cpu", download: bool = False,
                 image_size: int | None = None, channels: int | None = None, log=None) -> ImageData:
    """One split ("train" or "test") of a dataset, on ``device`` (both are loaded for an image folder)."""
    if split not in ("train", "test"):
        raise RayganError(f"unknown split '{split}'; choose train or test", fields="split")
    source = open_source(name, data_dir, download, image_size, channels)
    if isinstance(source, IdxSource):
        return idx.load_split(source.info, source.folder, split, device)
    return source.load(device, log)[split == "test"]
