"""Data: where a dataset lives, what it is, and its splits resident on the training device.

- :mod:`.info`: :class:`DatasetInfo` (name, image shape, classes, kind) and the known datasets;
- :mod:`.images`: :class:`ImageData`, a split on the device, batches drawn by index;
- :mod:`.sources`: one source per kind (IDX files, an image folder) that locates the data and
  loads both splits; :func:`resolve_dataset` decides which dataset a name and a folder are (IDX
  files by their content), :func:`resolve_source` opens what a space or config declares, given a
  user's folder and dataset; :func:`measured_against`, what a generator is measured against;
- :mod:`.idx`, :mod:`.folder`: reading each kind; :mod:`.locations`: the default data folder.

:func:`raygan.data.prepare.prepare` adds the evaluator: the splits and what measures them,
as ``train``, ``search``, ``evaluate`` and every trial use them.
"""
from raygan.data.images import ImageData, to_unit_range
from raygan.data.info import DATASETS, FOLDER, IDX, KNOWN_DATASETS, DatasetInfo, dataset_info
from raygan.data.locations import DATA_ENV, data_location, default_data_dir
from raygan.data.sources import (FolderSource, IdxSource, Source, check_data_options, detect_dataset, load_dataset,
                                 measured_against, open_source, resolve_dataset, resolve_source)

__all__ = ["DATASETS", "DATA_ENV", "FOLDER", "IDX", "KNOWN_DATASETS", "DatasetInfo", "FolderSource", "IdxSource",
           "ImageData", "Source", "check_data_options", "data_location", "dataset_info", "default_data_dir",
           "detect_dataset", "load_dataset", "measured_against", "open_source", "resolve_dataset", "resolve_source",
           "to_unit_range"]
