"""Image folders built from the real datasets: layouts, splits, shapes, the decode cache, bad files."""
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from raygan.data import DatasetInfo, detect_dataset, load_dataset
from raygan.data.folder import load_folder, scan, size_from_data
from raygan.errors import RayganError
from bench.folders import first_per_class, write_image_folder


def test_class_folders_load_the_real_digits_pixel_for_pixel(digit_folder, mnist_arrays):
    train = load_dataset("folder", digit_folder, "train")
    test = load_dataset("folder", digit_folder, "test")
    assert train.info.class_names == tuple("0123456789") and train.info.image_shape == (1, 28, 28)
    assert train.info.labelled and train.info.fingerprint == test.info.fingerprint != ""
    assert (len(train), len(test)) == (900, 100)
    assert test.labels.bincount().tolist() == [10] * 10  # stratified: 10 % of every class held out
    originals, labels = first_per_class(*mnist_arrays, 100)
    layout = scan(digit_folder)
    for (path, label), image in zip(layout.train[::97], train.images[::97]):
        index = int(path.split("/")[-1].removesuffix(".png"))  # the fixture names files by their position
        assert label == labels[index] and torch.equal(image[0], torch.from_numpy(originals[index]))


def test_holdout_is_stable_and_recorded_in_the_cache(digit_folder):
    first, again = scan(digit_folder), scan(digit_folder)
    assert first.test == again.test and first.split == "holdout"
    decoded = load_folder(digit_folder)
    cache = Path(os.environ["RAYGAN_CACHE"]) / "data"
    recorded = [set(f.read_text().splitlines()) for f in cache.glob("*.holdout.txt")]
    assert {path for path, _ in first.test} in recorded and len(decoded.test_images) == len(first.test)


def test_train_and_test_subfolders_are_used_as_given(tmp_path, mnist_arrays):
    images, labels = first_per_class(*mnist_arrays, 12)
    names = [f"digit{d}" for d in range(10)]
    write_image_folder(tmp_path / "given" / "train", images[:100], labels[:100], names)
    write_image_folder(tmp_path / "given" / "test", images[100:], labels[100:], names)
    train = load_dataset("folder", tmp_path / "given", "train")
    test = load_dataset("folder", tmp_path / "given", "test")
    assert (len(train), len(test)) == (100, 20) and train.info.class_names == tuple(names)
    assert sorted(test.labels.tolist()) == sorted(labels[100:].tolist())  # files come class by class


def test_a_second_load_comes_from_the_cache_and_a_changed_file_invalidates_it(tmp_path, digit_folder):
    folder = shutil.copytree(digit_folder, tmp_path / "copy", copy_function=shutil.copy)  # new times: new files
    assert not load_folder(folder).from_cache
    cached = load_folder(folder)
    assert cached.from_cache and cached.train_images.shape == (900, 1, 28, 28)
    some_file = next((folder / "3").iterdir())
    Image.fromarray(np.full((28, 28), 255, np.uint8)).save(some_file)  # new content, size and time
    changed = load_folder(folder)
    assert not changed.from_cache and changed.fingerprint != cached.fingerprint
    assert load_folder(folder).from_cache
    (folder / "3" / "extra.png").write_bytes(some_file.read_bytes())  # an added file
    assert not load_folder(folder).from_cache


def test_unreadable_files_are_skipped_with_one_counted_warning(tmp_path, digit_folder):
    folder = shutil.copytree(digit_folder, tmp_path / "broken", copy_function=shutil.copy)
    for i in range(3):
        (folder / "5" / f"bad{i}.png").write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
    good = next((folder / "7").iterdir())
    good.write_bytes(good.read_bytes()[:60])  # truncated: the header opens, the pixels do not
    lines = []
    decoded = load_folder(folder, log=lines.append)
    assert len(lines) == 1 and "skipped 4 unreadable image files" in lines[0]
    assert len(decoded.train_images) + len(decoded.test_images) == 1000 - 1


def test_a_folder_with_nothing_readable_is_a_one_line_error(tmp_path):
    (tmp_path / "junk").mkdir()
    for i in range(30):
        (tmp_path / "junk" / f"{i}.jpg").write_bytes(b"garbage")
    with pytest.raises(RayganError, match="none of the 30 image files") as err:
        load_folder(tmp_path / "junk")
    assert "\n" not in str(err.value)


def test_memory_is_checked_before_decoding(digit_folder):
    with pytest.raises(RayganError) as err:
        load_folder(digit_folder, image_size=64, channels=3, available_bytes=10_000_000)
    message = str(err.value)
    assert "1,000 images at 3x64x64 need 0.01 GiB" in message and "image_size" in message and "\n" not in message


def test_images_are_resized_and_centre_cropped_once_at_load(tmp_path):
    folder = tmp_path / "wide"
    folder.mkdir()
    for i in range(24):  # 48x40: a white square in the middle, a black band at the sides that the crop drops
        array = np.zeros((40, 48), np.uint8)
        array[:, 4:44] = 100
        array[12:28, 16:32] = 255
        Image.fromarray(array).save(folder / f"{i}.png")
    auto = load_dataset("folder", folder, "train")
    assert auto.info.image_shape == (1, 32, 32)  # 40 is nearest 32 of 28, 32, 64
    small = load_dataset("folder", folder, "train", image_size=28, channels=3)
    assert small.images.shape[1:] == (3, 28, 28)
    assert small.images[0, :, 14, 14].tolist() == [255, 255, 255] and small.images[0, 0, 14, 0] >= 90


def test_a_colour_folder_keeps_its_colours(colour_folder):
    train = load_dataset("folder", colour_folder, "train")
    assert train.info.image_shape == (3, 32, 32) and train.info.class_names[0] == "eight"  # sorted by name
    zeros = train.images[train.labels == train.info.class_names.index("zero")].float()
    red, green, blue = zeros.mean(dim=(0, 2, 3)).tolist()  # zero is tinted (255, 64, 64)
    assert red > 3 * green and abs(green - blue) < 1
    assert detect_dataset(colour_folder) == "folder"


def test_a_flat_folder_is_unlabelled(flat_folder):
    train = load_dataset("folder", flat_folder, "train")
    assert train.info.class_names == () and not train.info.labelled and len(train) == 540
    assert train.info.name == "clothes"


@pytest.mark.parametrize("kwargs, words", [
    ({"image_size": 40}, "image_size must be one of 28, 32, 64, got 40"),
    ({"channels": 2}, "channels must be one of 1, 3"),
])
def test_bad_shape_options_are_one_line(digit_folder, kwargs, words):
    with pytest.raises(RayganError, match=words):
        load_dataset("folder", digit_folder, **kwargs)


def test_shape_options_do_not_apply_to_idx_datasets(mnist_dir):
    with pytest.raises(RayganError, match="apply to image folders"):
        load_dataset("mnist", mnist_dir, image_size=32)


def test_too_few_images_and_missing_folders(tmp_path):
    (tmp_path / "few").mkdir()
    for i in range(5):
        Image.fromarray(np.zeros((28, 28), np.uint8)).save(tmp_path / "few" / f"{i}.png")
    with pytest.raises(RayganError, match="holds 5 images"):
        scan(tmp_path / "few")
    with pytest.raises(RayganError, match="needs data_dir, a folder holding PNG/JPEG images"):
        load_dataset("folder", tmp_path / "nowhere")


def test_size_from_data_picks_the_nearest_supported_size():
    assert size_from_data([(28, 28)] * 3) == 28
    assert size_from_data([(30, 30), (31, 31), (200, 100)]) == 32
    assert size_from_data([(500, 375)] * 2) == 64


def test_dataset_info_of_a_folder_is_not_known_by_name():
    with pytest.raises(RayganError, match="open it with open_source"):
        from raygan.data import dataset_info

        dataset_info("folder")
    info = DatasetInfo("x", (1, 28, 28), ())
    assert not info.labelled
