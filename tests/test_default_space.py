"""Which space a search runs when given none: dcgan, or for an image folder of few images a small-data one."""
import pytest

from raygan.data.sources import resolve_source
from raygan.errors import RayganError
from raygan.space.default import DEFAULT_SPACE, SMALL_LABELLED_SPACE, SMALL_SPACE, default_space


def _source(data_dir):
    return resolve_source("mnist", data_dir)


def test_mnist_gets_the_plain_space(mnist_dir):
    assert default_space(_source(mnist_dir)) == (DEFAULT_SPACE, "")


def test_a_labelled_folder_under_the_threshold_gets_the_conditional_small_space_and_says_why(digit_folder):
    name, why = default_space(_source(digit_folder))  # 1,000 digits in 10 class folders, 900 of them for training
    assert name == SMALL_LABELLED_SPACE
    assert why == ("the default for image folders under 10,000 training images (900 here, 10 classes): a conditional "
                   "DCGAN, augmentation, R1 and LeCam searched (--space dcgan for none of these)")


def test_a_flat_folder_under_the_threshold_gets_the_unconditional_small_space(flat_folder):
    name, why = default_space(_source(flat_folder))  # 600 unlabelled images, 540 for training
    assert name == SMALL_SPACE
    assert why == ("the default for image folders under 10,000 training images (540 here): augmentation, R1 and "
                   "LeCam searched (--space dcgan for none)")


def test_a_folder_at_the_threshold_gets_the_plain_space(digit_folder):
    assert default_space(_source(digit_folder), small_below=900) == (DEFAULT_SPACE, "")
    assert default_space(_source(digit_folder), small_below=901)[0] == SMALL_LABELLED_SPACE


class _Stop(Exception):
    """Raised in place of the search itself: these tests only read what it was about to run."""


@pytest.fixture
def first_line(monkeypatch, capsys, tmp_path):
    import raygan.tuning

    def stop(space, source, options, export=None):
        raise _Stop(space.source)

    monkeypatch.setattr(raygan.tuning, "run_search", stop)

    def run(**kwargs) -> tuple[str, str]:
        import raygan

        with pytest.raises(_Stop) as stopped:
            raygan.search(storage_path=tmp_path, time_budget="1m", **kwargs)
        return str(stopped.value), capsys.readouterr().out.splitlines()[0]
    return run


def test_a_search_without_a_space_on_a_small_folder_runs_a_small_space_and_its_first_line_says_so(first_line,
                                                                                                  digit_folder):
    searched, line = first_line(data_dir=digit_folder)
    assert searched == "small-cdcgan (bundled)"
    assert line.startswith("raygan.search: space small-cdcgan (bundled) (cdcgan on digits, asha), data ")
    assert line.endswith("; space: the default for image folders under 10,000 training images (900 here, 10 "
                         "classes): a conditional DCGAN, augmentation, R1 and LeCam searched (--space dcgan for none "
                         "of these)")


def test_a_named_space_is_searched_as_named_whatever_the_folder(first_line, digit_folder, mnist_dir):
    assert first_line(space="dcgan", data_dir=digit_folder)[0] == "dcgan (bundled)"
    searched, line = first_line(data_dir=mnist_dir)
    assert searched == "dcgan (bundled)" and "space:" not in line


def test_a_missing_folder_is_still_a_one_line_error(tmp_path):
    import raygan

    with pytest.raises(RayganError, match="does not exist"):
        raygan.search(data_dir=tmp_path / "nowhere", storage_path=tmp_path)
