"""Image folders built from real data, for benchmarks and tests: class subsets, padded and tinted colour variants."""
from __future__ import annotations

from pathlib import Path

import numpy as np

# One colour per digit for the 3-channel folder: what a conditional model must learn to match.
CLASS_COLOURS = [(255, 64, 64), (64, 255, 64), (64, 64, 255), (255, 255, 64), (255, 64, 255), (64, 255, 255),
                 (255, 160, 64), (160, 64, 255), (64, 160, 255), (255, 255, 255)]


def write_image_folder(root: Path, images, labels, class_names=None, colour: bool = False, pad: int = 0) -> Path:
    """Write uint8 (N, 28, 28) images as PNGs: ``root/<class>/NNNNN.png`` (or flat when ``class_names`` is
    None), optionally padded by ``pad`` pixels per side and tinted with their class's colour."""
    from PIL import Image

    for i, (image, label) in enumerate(zip(images, labels)):
        array = np.pad(image, pad) if pad else image
        if colour:
            array = (array[..., None].astype(np.float32) * np.array(CLASS_COLOURS[label]) / 255).astype(np.uint8)
        folder = root / class_names[label] if class_names else root
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(array).save(folder / f"{i:05d}.png")
    return root


def first_per_class(images, labels, per_class: int):
    """The first ``per_class`` images of each class, in their original order."""
    keep = np.concatenate([np.flatnonzero(labels == c)[:per_class] for c in range(10)])
    keep.sort()
    return images[keep], labels[keep]
