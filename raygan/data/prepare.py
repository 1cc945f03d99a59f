"""Everything a run or a search needs before training: both splits and the measurer that scores them.

:func:`prepare` is the one way ``train``, ``search``, ``evaluate`` and every Ray trial get
their data: the source loads both splits onto the device, an image folder's evaluator is
trained first if it has none yet (a one-time cost per dataset, minutes), and a
:class:`~raygan.metrics.measurer.Measurer` is built from the evaluator's weights and the
test split.  A search prepares once, in the driver, and hands the result to every trial
through Ray's object store.
"""
from __future__ import annotations

from dataclasses import dataclass

from raygan.data.images import ImageData
from raygan.data.info import FOLDER
from raygan.data.sources import Source
from raygan.metrics.evaluator import Evaluator
from raygan.metrics.evaluator_training import ensure_evaluator
from raygan.metrics.measurer import Measurer
from raygan.progress import say


@dataclass
class Prepared:
    """Both splits of a dataset on one device, and the measurer of its test split."""

    train: ImageData
    test: ImageData
    measurer: Measurer

    @property
    def info(self):
        return self.train.info


def prepare(source: Source, device="cpu", log=say) -> Prepared:
    """Load ``source``'s splits onto ``device`` and build their measurer (training an image folder's
    evaluator first when it has none)."""
    train, test = source.load(device, log)
    log(summary_line(train, test))
    if source.kind == FOLDER:
        ensure_evaluator(train, test, log=log)
    measurer = Measurer(Evaluator.load(test.info), test, device, train=train)
    measurer.real()  # the test split's features, once here rather than in every trial
    return Prepared(train, test, measurer)


def summary_line(train: ImageData, test: ImageData) -> str:
    """``data: mnist, 60,000 training images (1x28x28, 10 classes), 10,000 held out``: what a run trains on."""
    info = train.info
    classes = f", {info.num_classes} classes" if info.labelled else ", no classes"
    return (f"data: {info.name}, {len(train):,} training images ({'x'.join(map(str, info.image_shape))}{classes}), "
            f"{len(test):,} held out")
