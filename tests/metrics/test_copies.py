"""The memorisation check on real MNIST: a generator that replays training images copies, unseen test images
do not (beyond the 5 % they are defined to), and the closest pairs are drawn."""
import pytest
import torch
from PIL import Image

from raygan.data import ImageData, load_dataset
from raygan.metrics import Evaluator, Measurer
from raygan.metrics.copies import COPY_QUANTILE, copy_check, copy_warning, nearest


@pytest.fixture(scope="module")
def splits(mnist_dir):
    train, test = load_dataset("mnist", mnist_dir, "train"), load_dataset("mnist", mnist_dir, "test")
    part = lambda data, a, b: ImageData(data.info, data.images[a:b], data.labels[a:b])  # noqa: E731
    # 5,000 training images; the test split's first half sets the threshold, its second plays unseen images
    return part(train, 0, 5000), part(test, 0, 5000), part(test, 5000, 6000)


class Replay(torch.nn.Module):
    """A "generator" whose samples are the given images, in order."""

    conditional = False

    def __init__(self, images: ImageData):
        super().__init__()
        self.images = images
        self.unused = torch.nn.Parameter(torch.zeros(1))

    def sample(self, num, labels=None, generator=None):
        return self.images.floats(0, num)


def test_nearest_finds_the_closest_row():
    keys = torch.tensor([[0.0, 0.0], [3.0, 4.0], [10.0, 0.0]])
    distances, indices = nearest(torch.tensor([[2.9, 4.1], [9.0, 0.0], [0.0, 0.0]]), keys)
    assert indices.tolist() == [1, 2, 0] and distances.tolist() == pytest.approx([0.1414, 1.0, 0.0], abs=1e-3)


def test_replayed_training_images_are_copies_and_unseen_ones_are_not(splits, tmp_path):
    train, threshold_half, unseen = splits
    measurer = Measurer(Evaluator.load("mnist"), threshold_half, train=train)
    copied = measurer.measure_final(Replay(train), None, num=500, closest_grid=tmp_path / "pairs.png")
    assert copied["copy_rate"] == 1.0 and copied["copy_threshold"] > 0 and copied["copy_samples"] == 500
    width, height = Image.open(tmp_path / "pairs.png").size
    assert (width, height) == (16 * 30 + 2, 2 * 30 + 2)  # 16 samples over their nearest training images
    fresh = measurer.measure_final(Replay(unseen), None, num=1000)
    assert fresh["copy_rate"] < 2.5 * COPY_QUANTILE  # about the 5 % that defines the threshold
    assert copy_warning(copied, "pairs.png").startswith("warning: copy rate 1.00") and not copy_warning(fresh, "x")
    check = measurer.copies(train.floats(0, 20))
    assert check.nearest.tolist() == list(range(20)) and check.distances.max() < 0.01 * check.threshold  # itself
    pairs = measurer.copies(unseen.floats(0, 50)).closest(5)
    assert len(pairs) == 5 and len({i for i, _ in pairs}) == 5


def test_without_a_training_split_there_is_no_copy_check(splits):
    train, threshold_half, _ = splits
    record = Measurer(Evaluator.load("mnist"), threshold_half).measure_final(Replay(train), None, num=200)
    assert "copy_rate" not in record and "fid" in record


def test_copy_check_threshold_is_the_test_images_quantile():
    train = torch.zeros(1, 2)
    test = torch.arange(1, 101, dtype=torch.float).view(-1, 1) * torch.tensor([[1.0, 0.0]])
    check = copy_check(torch.tensor([[1.0, 0.0], [50.0, 0.0]]), train, test)
    assert check.threshold == pytest.approx(torch.quantile(torch.arange(1.0, 101.0), COPY_QUANTILE).item())
    assert check.rate == 0.5
