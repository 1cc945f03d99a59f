"""A folder of PNG/JPEG images as a dataset: decoded once into uint8 tensors, cached, split for evaluation.

Layouts, as torchvision's ``ImageFolder`` reads them:

- ``FOLDER/<class>/**/*.png``: labelled, classes in sorted folder-name order (two or more
  class folders; loose images beside them are ignored, with a warning);
- ``FOLDER/*.png``: flat, unlabelled (unconditional models only);
- ``FOLDER/train/...`` and ``FOLDER/test/...``, each either of the above: that split is
  used as given.  Otherwise a seeded, stratified hold-out (10 % of each class) becomes the
  test split: a file is held out by the hash of its relative path, so the same files are
  held out every time (listed in the cache's ``<key>.holdout.txt``).

Images are resized (shorter side) and centre-cropped to ``image_size`` (28, 32 or 64) and
converted to ``channels`` (1 or 3) once, at load time, never per training step; both
default to what the images are.  Decoding runs on several threads.  The result is cached
in ``raygan.cache.cache_dir("data")`` under a key of the folder's file list, sizes and
modification times and the requested size and channels, so a second load takes seconds
and any changed, added or removed file invalidates it.  Unreadable files are skipped
with one warning line that counts them.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from raygan.atomic import atomic_path
from raygan.cache import cache_dir
from raygan.errors import RayganError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".ppm", ".pgm", ".tif", ".tiff")
IMAGE_SIZES = (28, 32, 64)
CHANNELS = (1, 3)
HOLDOUT_SHARE = 0.1
MIN_IMAGES = 20  # enough for a train and a test split that every metric can be computed on
MEMORY_SHARE = 0.5  # of the memory available: a search holds the tensor twice (driver and object store)
LOADER_VERSION = 1  # part of the cache key: a change in how images are decoded invalidates old entries
_GREY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F"}


@dataclass(frozen=True)
class FolderLayout:
    """The image files of a folder, split and labelled; paths relative to ``root``."""

    root: Path
    class_names: tuple[str, ...]  # empty for a flat folder
    train: tuple[tuple[str, int], ...]  # (relative path, label); label 0 in a flat folder
    test: tuple[tuple[str, int], ...]
    split: str  # "folders" (train/ and test/ given) or "holdout"
    ignored: int  # loose images beside class folders

    def files_digest(self) -> str:
        """A digest of every file's path, label, size and modification time, and of the split."""
        digest = hashlib.sha256(json.dumps([LOADER_VERSION, self.split, list(self.class_names)]).encode())
        for path, label in (*self.train, *self.test):
            stat = (self.root / path).stat()
            digest.update(f"{path}\0{label}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        return digest.hexdigest()


def _key(*parts) -> str:
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


@dataclass
class DecodedFolder:
    """Both splits of a folder as uint8 tensors (N, C, H, W) with labels, and how they were made."""

    name: str
    class_names: tuple[str, ...]
    fingerprint: str  # of the files and the shape they were decoded at: what the evaluator is trained for
    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    from_cache: bool = False


def is_image(name: str) -> bool:
    return name.lower().endswith(IMAGE_SUFFIXES) and not name.startswith(".")


def holds_images(root: Path) -> bool:
    """Whether ``root`` looks like an image folder (images in it, or in its subfolders)."""
    return any(is_image(f) for _, _, files in os.walk(root) for f in files)


def dataset_name(root: Path) -> str:
    """A short name for the folder (in evaluator ids and run names): its own name, lower case."""
    return re.sub(r"[^a-z0-9_]+", "_", root.resolve().name.lower()).strip("_") or "images"


def scan(root) -> FolderLayout:
    """The files of the image folder ``root``, labelled and split; a one-line error if it is not one."""
    root = Path(root).expanduser()
    if not root.is_dir():
        raise RayganError(f"image folder {root} does not exist or is not a folder; pass a folder of PNG/JPEG images")
    if (root / "train").is_dir() and (root / "test").is_dir():
        classes, train, ignored = _scan_split(root, "train")
        test_classes, test, ignored_test = _scan_split(root, "test")
        unknown = sorted(set(test_classes) - set(classes))
        if unknown or bool(classes) != bool(test_classes):
            raise RayganError(f"{root}/test has classes {', '.join(unknown) or '(none)'} that {root}/train lacks; "
                              "give both splits the same class folders")
        index = {name: i for i, name in enumerate(classes)}
        test = tuple((path, index[test_classes[label]] if classes else 0) for path, label in test)
        layout = FolderLayout(root, classes, train, test, "folders", ignored + ignored_test)
    else:
        classes, files, ignored = _scan_split(root, "")
        train, test = holdout(files)
        layout = FolderLayout(root, classes, train, test, "holdout", ignored)
    if len(layout.train) + len(layout.test) < MIN_IMAGES or not layout.test:
        raise RayganError(f"{root} holds {len(layout.train) + len(layout.test)} images ({len(layout.test)} for "
                          f"testing); a dataset needs at least {MIN_IMAGES}, a few of them in every split")
    return layout


def _scan_split(root: Path, split: str) -> tuple[tuple[str, ...], tuple[tuple[str, int], ...], int]:
    """Class names, (path, label) pairs and the count of ignored loose images of one folder."""
    folder = root / split if split else root
    entries = sorted(os.scandir(folder), key=lambda e: e.name)
    loose = [e.name for e in entries if e.is_file() and is_image(e.name)]
    classes = [e.name for e in entries if e.is_dir() and not e.name.startswith(".") and holds_images(Path(e.path))]
    prefix = f"{split}/" if split else ""
    if len(classes) < 2:  # flat: one subfolder of images is one unlabelled set, as is a folder of loose images
        inner = f"{classes[0]}/" if classes and not loose else ""
        names = _images_under(folder / inner) if inner else loose
        return (), tuple((f"{prefix}{inner}{name}", 0) for name in names), 0
    pairs = tuple((f"{prefix}{name}/{path}", label) for label, name in enumerate(classes)
                  for path in _images_under(folder / name))
    return tuple(classes), pairs, len(loose)


def _images_under(folder: Path) -> list[str]:
    found = []
    for dirpath, dirnames, files in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel = Path(dirpath).relative_to(folder)
        found.extend(str(rel / f) if str(rel) != "." else f for f in sorted(files) if is_image(f))
    return found


def holdout(files, share: float = HOLDOUT_SHARE, seed: int = 0):
    """Split (path, label) pairs into train and test: of each class, the ``share`` of files whose
    seeded path hash is lowest (at least one of a class with two or more files)."""
    by_class: dict[int, list[str]] = {}
    for path, label in files:
        by_class.setdefault(label, []).append(path)
    held = set()
    for label, paths in by_class.items():
        count = max(1, round(share * len(paths))) if len(paths) >= 2 else 0
        ranked = sorted(paths, key=lambda p: hashlib.sha1(f"{seed}:{p}".encode()).hexdigest())
        held.update((path, label) for path in ranked[:count])
    train = tuple(pair for pair in files if pair not in held)
    test = tuple(pair for pair in files if pair in held)
    return train, test


def load_folder(root, image_size: int | None = None, channels: int | None = None, log=None,
                available_bytes: int | None = None) -> DecodedFolder:
    """Both splits of the image folder ``root``, from the cache when its files have not changed.

    ``log`` gets the warning lines (default: standard error); ``available_bytes`` overrides the
    memory the size check compares with.
    """
    log = log or _warn
    check_shape_options(image_size, channels)
    layout = scan(root)
    if layout.ignored:
        log(f"warning: {layout.ignored} images directly in {layout.root} ignored: a labelled folder keeps its "
            "images in class subfolders")
    digest = layout.files_digest()
    key = _key(digest, image_size, channels)  # what was asked for: found again without opening an image
    cached = _read_cache(key, layout, digest)
    if cached is not None:
        return cached
    files = [layout.root / path for path, _ in (*layout.train, *layout.test)]
    with ThreadPoolExecutor(max_workers=decode_threads()) as pool:
        probes = list(pool.map(_probe, files))
        usable = [p for p in probes if p is not None]
        if not usable:
            raise RayganError(f"none of the {len(files)} image files in {layout.root} could be read; "
                              "check that they are PNG or JPEG images")
        size = image_size or size_from_data([p[0] for p in usable])
        chans = channels or (1 if all(mode in _GREY_MODES for _, mode in usable) else 3)
        check_memory(len(usable), (chans, size, size), layout.root, available_bytes)
        pixels = list(pool.map(lambda pair: _decode(pair[0], size, chans) if pair[1] else None,
                               zip(files, probes)))
    decoded = _assemble(layout, _key(digest, size, chans), pixels, (chans, size, size), log)
    _write_cache(decoded, key, layout, log)
    return decoded


def _warn(line: str) -> None:
    print(line, file=sys.stderr)


def decode_threads() -> int:
    return min(32, (os.cpu_count() or 2) * 2)  # PIL releases the GIL while it decodes


def check_shape_options(image_size: int | None, channels: int | None) -> None:
    """A one-line error unless each is None (take it from the images) or a supported value."""
    for name, value, allowed in (("image_size", image_size, IMAGE_SIZES), ("channels", channels, CHANNELS)):
        if value is not None and (isinstance(value, bool) or value not in allowed):
            raise RayganError(f"{name} must be one of {', '.join(map(str, allowed))}, got {value!r}; "
                              "or leave it out to take it from the images")


def size_from_data(sizes: list[tuple[int, int]]) -> int:
    """The supported size nearest the images' median shorter side (ties: the larger)."""
    shorter = sorted(min(w, h) for w, h in sizes)[len(sizes) // 2]
    return min(IMAGE_SIZES, key=lambda s: (abs(s - shorter), -s))


def check_memory(count: int, shape: tuple[int, int, int], root: Path, available_bytes: int | None = None) -> None:
    """Refuse, before decoding, a dataset whose uint8 tensor would not fit in memory."""
    needed = count * int(np.prod(shape))
    available = available_bytes if available_bytes is not None else available_memory()
    if available is not None and needed > MEMORY_SHARE * available:
        c, h, w = shape
        raise RayganError(f"{root}: {count:,} images at {c}x{h}x{w} need {needed / 2**30:.2f} GiB as uint8, more "
                          f"than {MEMORY_SHARE:.0%} of the {available / 2**30:.2f} GiB of memory available; set "
                          "image_size to a smaller size or channels to 1, or use a subset of the folder")


def available_memory() -> int | None:
    """Bytes of memory available to new allocations (Linux ``MemAvailable``), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _probe(path: Path):
    """((width, height), mode) from the file's header, or None if it cannot be opened."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            return image.size, image.mode
    except Exception:  # noqa: BLE001 - PIL raises many kinds for corrupt files; all mean "skip it"
        return None


def _decode(path: Path, size: int, channels: int) -> np.ndarray | None:
    """The image as (C, size, size) uint8: shorter side resized to ``size``, centre-cropped; None if corrupt."""
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as image:
            image.draft("L" if channels == 1 else "RGB", (size, size))  # JPEG: decode at reduced scale
            image = image.convert("L" if channels == 1 else "RGB")
            if image.size != (size, size):
                image = ImageOps.fit(image, (size, size), Image.Resampling.BICUBIC)
            array = np.asarray(image, dtype=np.uint8)
    except Exception:  # noqa: BLE001 - truncated data surfaces only here, as one of several types
        return None
    return array[None] if channels == 1 else array.transpose(2, 0, 1)


def _assemble(layout: FolderLayout, key: str, pixels: list, shape, log) -> DecodedFolder:
    pairs = (*layout.train, *layout.test)
    skipped = [path for (path, _), image in zip(pairs, pixels) if image is None]
    if skipped:
        log(f"warning: skipped {len(skipped)} unreadable image files in {layout.root} (first: {skipped[0]})")

    def stack(start: int, stop: int):
        kept = [(image, label) for image, (_, label) in zip(pixels[start:stop], pairs[start:stop])
                if image is not None]
        images = np.ascontiguousarray(np.stack([i for i, _ in kept])) if kept else np.zeros((0, *shape), np.uint8)
        return torch.from_numpy(images), torch.tensor([label for _, label in kept], dtype=torch.int64)

    train_images, train_labels = stack(0, len(layout.train))
    test_images, test_labels = stack(len(layout.train), len(pairs))
    if len(train_images) < 2 or len(test_images) < 2:
        raise RayganError(f"{layout.root}: only {len(train_images)} training and {len(test_images)} test images "
                          "could be read; add readable images")
    return DecodedFolder(dataset_name(layout.root), layout.class_names, key,
                         train_images, train_labels, test_images, test_labels)


def _cache_file(key: str) -> Path:
    return cache_dir("data") / f"{key}.safetensors"


def _read_cache(key: str, layout: FolderLayout, digest: str) -> DecodedFolder | None:
    path = _cache_file(key)
    if not path.is_file():
        return None
    try:
        tensors = load_file(str(path))
        channels, size = tensors["train_images"].shape[1:3]
        return DecodedFolder(dataset_name(layout.root), layout.class_names, _key(digest, size, channels),
                             tensors["train_images"], tensors["train_labels"], tensors["test_images"],
                             tensors["test_labels"], from_cache=True)
    except (SafetensorError, OSError, KeyError, ValueError):
        return None  # a damaged cache entry is decoded again and overwritten


def _write_cache(decoded: DecodedFolder, key: str, layout: FolderLayout, log) -> None:
    path = _cache_file(key)
    tensors = {"train_images": decoded.train_images, "train_labels": decoded.train_labels,
               "test_images": decoded.test_images, "test_labels": decoded.test_labels}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            save_file(tensors, str(tmp), metadata={"source": str(layout.root.resolve()), "split": layout.split})
        if layout.split == "holdout":
            with atomic_path(path.with_suffix(".holdout.txt")) as tmp:
                tmp.write_text("".join(f"{p}\n" for p, _ in layout.test), encoding="utf-8")
    except OSError as err:
        log(f"warning: could not cache the decoded images in {path.parent} ({err}); the next run decodes again")
