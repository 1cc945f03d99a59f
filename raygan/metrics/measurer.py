"""Measuring samples and generators: one :class:`Measurer` per run, handed to everything that measures.

A measurer is built once from explicit parts, as stylegan2-ada hands every metric one
``MetricOptions``: the :class:`~raygan.metrics.evaluator.Evaluator` (its weights) and the
dataset's test split, whose :class:`~raygan.metrics.references.Reference` (the evaluator's
features of it) it computes on first use and keeps.  The run loop, the Ray trainable, the
search's export and ``python -m raygan.evaluate`` all take one; a search builds it in the
driver and ships it to every trial through Ray's object store, so nothing is looked up in
module state, keyed by ``id()`` or cached per process.

Every result is a *metric record*: the requested metrics plus ``num_samples`` (how many
samples they were measured on), ``samples_per_class`` (beside the per-class metrics of
conditional samples: the fewest samples of any class they were measured on) and
``evaluator`` (which evaluator weights, see :attr:`~raygan.metrics.evaluator.Evaluator.id`),
so that two values are only compared when these match, the way stylegan2-ada names
``fid50k_full``.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch

from raygan.budget import FINAL_NUM, MIN_SAMPLES
from raygan.data.images import ImageData, to_unit_range
from raygan.data.info import DatasetInfo
from raygan.errors import RayganError
from raygan.metrics.copies import CHECKED, REFERENCE_IMAGES, CopyCheck, copy_check
from raygan.metrics.evaluator import Evaluator, embed
from raygan.metrics.intra_fid import shortfall
from raygan.metrics.modes import class_counts
from raygan.metrics.references import Reference
from raygan.metrics.registry import METRICS, NEEDS_CLASSES, NEEDS_LABELS, PER_CLASS, Samples
from raygan.progress import counting, steps

# what a metric record adds to the metric values (samples_per_class only beside a per-class metric)
RECORD_KEYS = ("num_samples", "samples_per_class", "evaluator")
PAIRS = 16  # closest sample-training pairs shown


class Measurer:
    """The evaluator network and the real data's reference of one run, on one device.

    ``test`` is the test split the metrics that compare with real data (fid, kid,
    precision, ...) use; without it only the others can be measured.  ``test_loader``
    instead loads it when first needed (``python -m raygan.evaluate`` on class metrics
    needs no data).  Pickles without its network, which is rebuilt from the weights where
    it arrives (a Ray trial), on the CPU until :meth:`to` moves it.
    """

    def __init__(self, evaluator: Evaluator, test: ImageData | None = None, device=None,
                 test_loader: Callable[[], ImageData] | None = None, train: ImageData | None = None):
        self.evaluator = evaluator
        self.test = test
        self.train = train  # for the memorisation check of final records (raygan.metrics.copies)
        self._train_features: torch.Tensor | None = None
        self.test_loader = test_loader
        self.device = torch.device(device if device is not None else test.device if test is not None else "cpu")
        self.net = evaluator.network(self.device)
        self.reference: Reference | None = None  # built on first use by a metric that compares with real data

    @property
    def info(self) -> DatasetInfo:
        return self.evaluator.info

    def __getstate__(self) -> dict:
        return {**self.__dict__, "net": None, "test_loader": None, "_train_features": None,
                "reference": None if self.reference is None else self.reference.to("cpu")}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.device = torch.device("cpu")
        self.net = self.evaluator.network(self.device)

    def to(self, device) -> "Measurer":
        """This measurer on ``device`` (the reference and network moved along)."""
        device = torch.device(device)
        if device != self.device:
            self.device = device
            self.net = self.net.to(device)
            if self.reference is not None:
                self.reference = self.reference.to(device)
            self._train_features = None
        return self

    def real(self) -> Reference:
        """The test split's reference on this measurer's device, computed once."""
        if self.reference is None:
            if self.test is None and self.test_loader is not None:
                self.test = self.test_loader()
            if self.test is None:
                raise RayganError(f"metrics against real {self.info.name} data need its test split; pass data_dir",
                                  fields="data_dir")
            test = self.test.to(self.device)
            self.reference = Reference(embed(self.net, test.floats())[0], test.labels if self.info.labelled else None)
        return self.reference

    def measure(self, samples: torch.Tensor, labels=None, metrics: Sequence[str] | None = None,
                batch_size: int = 1000, progress: bool = False, strict: bool = True) -> dict:
        """The metric record of ``samples`` (N, C, H, W) in [-1, 1], embedded in batches on this device.

        ``labels`` (N,) are the classes a conditional generator was asked for (enables
        ``label_acc`` and the per-class metrics).  ``metrics`` defaults to every metric that
        applies (no class metrics for an unlabelled folder, no ``intra_fid`` with fewer than 2
        samples or test images of a class; asked for, that is an error unless ``strict`` is
        False, which leaves it out too: a training report's quick metrics).  ``progress``: in a
        terminal, a bar over the embedded samples, then one over the metrics naming the one under way.
        """
        labels = None if labels is None else torch.as_tensor(labels)
        names = check_metrics(metrics, labels is not None, self.info.labelled)
        _check_samples(samples, labels, self.info)
        samples = samples.to(self.device)
        with counting(len(samples), "img", "embedding", progress) as done:
            features, probs = embed(self.net, samples, batch_size, on_batch=done)
        context = Samples(features, probs, None if labels is None else labels.to(self.device), self.real)
        if (metrics is None or not strict) and "intra_fid" in names \
                and shortfall(context.labels, context.reference.class_stats):
            names.remove("intra_fid")  # unavailable on these samples, rather than a made-up value
        values = {name: METRICS[name](context) for name in steps(names, "metrics", progress)}
        per_class = {"samples_per_class": min(class_counts(labels).values())} if set(PER_CLASS) & set(names) else {}
        return {**values, "num_samples": int(samples.shape[0]), **per_class, "evaluator": self.evaluator.id}

    def measure_generator(self, generator, num: int = FINAL_NUM, metrics: Sequence[str] | None = None,
                          batch_size: int = 1000, seed: int = 0, progress: bool = False,
                          strict: bool = True) -> dict:
        """Draw ``num`` seeded samples from ``generator`` (balanced labels if conditional) and :meth:`measure` them.

        ``progress``: in a terminal, a bar over the samples drawn (through ``sample``'s
        ``on_batch`` of a raygan generator; without it, any module with ``sample(n, labels,
        generator)`` will do), then :meth:`measure`'s.
        """
        samples, labels = draw(generator, num, seed, progress)
        return self.measure(samples, labels=labels, metrics=metrics, batch_size=batch_size, progress=progress,
                            strict=strict)

    def measure_final(self, generator, raw_generator, num: int = FINAL_NUM, progress: bool = False,
                      closest_grid=None) -> dict:
        """Every metric of the generator a run exports, plus ``fid_raw`` when that generator is the weight
        average of ``raw_generator`` (G itself): the record then shows what the average buys.  With the training
        split at hand, the memorisation check too (``copy_rate``, ``copy_threshold``), and the closest
        sample-training pairs as a grid at ``closest_grid`` when given."""
        samples, labels = draw(generator, num, progress=progress)
        record = self.measure(samples, labels=labels, progress=progress)
        if raw_generator is not None:
            record["fid_raw"] = self.measure_generator(raw_generator, num=num, metrics=("fid",),
                                                       progress=progress)["fid"]
        check = self.copies(samples)
        if check is not None:
            record.update(check.record())
            if closest_grid is not None:
                save_pairs(samples, self.train, check.closest(PAIRS), closest_grid)
        return record

    def copies(self, samples: torch.Tensor) -> CopyCheck | None:
        """How ``samples`` sit against the training images (None without the training split)."""
        if self.train is None:
            return None
        features = embed(self.net, samples[:CHECKED].to(self.device))[0]
        return copy_check(features, self.train_features(), self.real().features)

    def train_features(self) -> torch.Tensor:
        """The evaluator's features of the first ``REFERENCE_IMAGES`` training images, computed once."""
        if self._train_features is None:
            images = to_unit_range(self.train.images[:REFERENCE_IMAGES].to(self.device))
            self._train_features = embed(self.net, images)[0]
        return self._train_features


def draw(generator, num: int, seed: int = 0, progress: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``num`` seeded samples of ``generator`` and the labels they were drawn for (balanced; None if unconditional)."""
    device = next(generator.parameters()).device
    labels = torch.arange(num, device=device) % generator.num_classes if generator.conditional else None
    with counting(num, "img", "sampling", progress) as done:
        samples = generator.sample(num, labels=labels, generator=torch.Generator(device=device).manual_seed(seed),
                                   **({"on_batch": done} if progress else {}))
    return samples, labels


def save_pairs(samples: torch.Tensor, train: ImageData, pairs: list[tuple[int, int]], path) -> None:
    """The grid of ``pairs`` (sample index, training index): each sample above its nearest training image."""
    from raygan.plots import save_grid

    if not pairs:
        return
    above = samples[[i for i, _ in pairs]].detach().cpu()
    below = to_unit_range(train.images[[j for _, j in pairs]].cpu())
    save_grid(torch.cat([above, below]), path, nrow=len(pairs))


def check_metrics(metrics, have_labels: bool, have_classes: bool = True) -> list[str]:
    """The metric names to compute: ``metrics`` checked against the registry, or all that apply.

    Without classes (an unlabelled image folder, whose evaluator predicts rotations) the
    class metrics have no meaning and are left out.
    """
    if metrics is None:
        return [name for name in METRICS if (have_labels or name not in NEEDS_LABELS)
                and (have_classes or name not in NEEDS_CLASSES)]
    names = list(metrics)
    for name in names:
        if name not in METRICS:
            raise RayganError(f"unknown metric '{name}'; choose from {', '.join(METRICS)}", fields="metrics")
        if name in NEEDS_LABELS and not have_labels:
            raise RayganError(f"metric '{name}' needs the labels the samples were generated for "
                              "(a conditional generator)", fields="metrics")
        if name in NEEDS_CLASSES and not have_classes:
            raise RayganError(f"metric '{name}' needs a dataset with classes; an unlabelled image folder has "
                              f"none (choose from {', '.join(n for n in METRICS if n not in NEEDS_CLASSES)})",
                              fields="metrics")
    return names


def _check_samples(samples, labels, info: DatasetInfo) -> None:
    dataset = info.name
    shape = ", ".join(map(str, info.image_shape))
    if not isinstance(samples, torch.Tensor) or not samples.is_floating_point() \
            or tuple(samples.shape[1:]) != info.image_shape:
        got = tuple(samples.shape) if isinstance(samples, torch.Tensor) else type(samples).__name__
        raise RayganError(f"samples must be a float tensor (N, {shape}) in [-1, 1] for {dataset}, got {got}")
    if samples.shape[0] < MIN_SAMPLES:
        raise RayganError(f"need at least {MIN_SAMPLES} samples to evaluate, got {samples.shape[0]}")
    if labels is not None and (labels.shape != samples.shape[:1] or labels.is_floating_point()
                               or int(labels.min()) < 0 or int(labels.max()) >= info.num_classes):
        raise RayganError(f"labels must be N={samples.shape[0]} integers in 0..{info.num_classes - 1}")


def open_measurer(dataset, data_dir=None, device="cpu") -> Measurer:
    """A measurer for ``dataset`` (a known name, or the :class:`DatasetInfo` of loaded data), whose test
    split is loaded from the folder ``data_dir`` when a metric first needs it, or given as ``ImageData``."""
    from raygan.data.info import FOLDER, dataset_info
    from raygan.data.sources import load_dataset

    info = dataset_info(dataset)
    if isinstance(data_dir, ImageData):
        return Measurer(Evaluator.load(info), data_dir, device)
    loader = None
    if data_dir is not None:
        channels, size, _ = info.image_shape
        shape = {"image_size": size, "channels": channels} if info.kind == FOLDER else {}
        loader = lambda: load_dataset(info.dataset, data_dir, "test", **shape)  # noqa: E731
    return Measurer(Evaluator.load(info), device=device, test_loader=loader)


def evaluate(samples: torch.Tensor, dataset="mnist", data_dir=None, labels=None,
             metrics: Sequence[str] | None = None, batch_size: int = 1000, progress: bool = False) -> dict:
    """One call for scripts: :meth:`Measurer.measure` with a measurer from :func:`open_measurer`.

    Measuring many sample sets of one dataset?  Build the measurer once and call its
    :meth:`~Measurer.measure`: the test split is then embedded once.
    """
    return open_measurer(dataset, data_dir, samples.device if isinstance(samples, torch.Tensor) else "cpu") \
        .measure(samples, labels, metrics, batch_size, progress)


def evaluate_generator(generator, dataset, data_dir, num: int = FINAL_NUM, metrics: Sequence[str] | None = None,
                       batch_size: int = 1000, seed: int = 0, progress: bool = False) -> dict:
    """One call for scripts: :meth:`Measurer.measure_generator` with a measurer from :func:`open_measurer`."""
    device = next(generator.parameters()).device
    return open_measurer(dataset, data_dir, device).measure_generator(generator, num, metrics, batch_size, seed,
                                                                      progress)
