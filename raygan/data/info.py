"""What models, metrics and exports know about a dataset: its name, image shape, classes and kind."""
from __future__ import annotations

from dataclasses import dataclass

from raygan.errors import RayganError

IDX = "idx"  # MNIST-style IDX .gz files of a dataset raygan knows by name
FOLDER = "folder"  # a folder of images: shape and classes come from the folder


@dataclass(frozen=True)
class DatasetInfo:
    """A dataset's images and classes, and which kind of source they came from."""

    name: str
    image_shape: tuple[int, int, int]  # (channels, height, width)
    class_names: tuple[str, ...]  # empty for an unlabelled image folder
    fingerprint: str = ""  # an image folder's cache key (files, sizes, times, shape); "" for IDX files
    kind: str = IDX  # IDX or FOLDER: where its evaluator's weights live (shipped, or cached by fingerprint)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def labelled(self) -> bool:
        """Whether images come with classes (what conditional models and class metrics need)."""
        return self.num_classes >= 2

    @property
    def dataset(self) -> str:
        """The config's ``dataset`` value for this data: the known name, or ``folder``."""
        return FOLDER if self.kind == FOLDER else self.name


KNOWN_DATASETS = {
    "mnist": DatasetInfo("mnist", (1, 28, 28), tuple("0123456789")),
    "fashion_mnist": DatasetInfo("fashion_mnist", (1, 28, 28), (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")),
}
DATASETS = (*KNOWN_DATASETS, FOLDER)


def dataset_info(name) -> DatasetInfo:
    """The :class:`DatasetInfo` of a dataset raygan knows by name (an info is returned as it is)."""
    if isinstance(name, DatasetInfo):
        return name
    if name == FOLDER:
        raise RayganError("an image folder's shape and classes come from its images; open it with "
                          "open_source(data_dir) and pass the data's info")
    if name not in KNOWN_DATASETS:
        raise RayganError(f"unknown dataset '{name}'; choose one of {', '.join(DATASETS)}")
    return KNOWN_DATASETS[name]
