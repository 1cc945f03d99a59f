"""The real side of every comparison: the evaluator's view of a dataset's held-out test split.

A :class:`Reference` holds the test split's features and the statistics metrics reuse
(Gaussian fit, k-NN radii, nearest-neighbour scale), computed once.  :func:`reference`
caches them per process: by folder for data read from files, and by object for a split
that arrived in memory (how Ray trials get it, from the object store).  The in-memory
cache is bounded, so a long-lived trial actor that runs many trials does not keep every
trial's test split alive.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np
import torch

from raygan.data import FOLDER, ImageData, dataset_info, load_dataset
from raygan.errors import RayganError
from raygan.metrics import modes, prdc
from raygan.metrics.evaluator import embed, load_evaluator
from raygan.metrics.fid import gaussian_stats

IN_MEMORY_SPLITS = 2  # test splits whose features an in-memory cache keeps (a trial needs one)


@dataclass
class Reference:
    """Evaluator features of a dataset's test split and the statistics metrics reuse."""

    features: torch.Tensor
    _nn_distances: dict[int, float] = field(default_factory=dict, init=False, repr=False)

    @cached_property
    def stats(self) -> tuple[np.ndarray, np.ndarray]:
        return gaussian_stats(self.features)

    @cached_property
    def radii(self) -> torch.Tensor:
        return prdc.knn_radii(self.features)

    def median_nn_distance(self, n: int) -> float:
        """:func:`modes.median_nn_distance` of the first ``n`` features, computed once per n."""
        if n not in self._nn_distances:
            self._nn_distances[n] = modes.median_nn_distance(self.features[:n])
        return self._nn_distances[n]


def _embed(dataset, test: ImageData, device: str) -> Reference:
    return Reference(embed(load_evaluator(dataset, device), test.to(device).floats())[0])


@lru_cache(maxsize=8)
def _from_folder(dataset, data_dir: str, device: str) -> Reference:
    info = dataset_info(dataset)
    if info.fingerprint:  # an image folder, read at the shape its info records
        channels, size, _ = info.image_shape
        return _embed(info, load_dataset(FOLDER, data_dir, "test", image_size=size, channels=channels), device)
    return _embed(info, load_dataset(info.name, data_dir, "test"), device)


# id(split), device -> (split, Reference); the entry holds the split, so its id is not reused while cached
_IN_MEMORY: OrderedDict[tuple[int, str], tuple[ImageData, Reference]] = OrderedDict()


def reference(dataset, data_dir, device="cpu") -> Reference:
    """The cached :class:`Reference` of ``dataset``'s test split (a name, or a
    :class:`~raygan.data.DatasetInfo`), on ``device``.

    ``data_dir`` is the folder holding the dataset's files, or the test split itself as
    :class:`~raygan.data.ImageData`.
    """
    device = str(torch.device(device))
    if isinstance(data_dir, ImageData):
        key = (id(data_dir), device)
        if key not in _IN_MEMORY:
            _IN_MEMORY[key] = (data_dir, _embed(dataset, data_dir, device))
            while len(_IN_MEMORY) > IN_MEMORY_SPLITS:
                _IN_MEMORY.popitem(last=False)
        _IN_MEMORY.move_to_end(key)
        return _IN_MEMORY[key][1]
    if data_dir is None:
        raise RayganError(f"metrics against real {dataset} data need its data directory; pass data_dir / --data-dir")
    return _from_folder(dataset, str(Path(data_dir).expanduser().resolve()), device)
