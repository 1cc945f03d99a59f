"""Where a search lives: local folders resolved for Ray, URIs kept, and the local report folder."""
from pathlib import Path

import pytest

from raygan.tuning.location import experiment_path, is_remote, report_dir, storage_uri, upload_reports
from raygan.tuning.options import SearchOptions


@pytest.mark.parametrize("storage_path, remote", [("s3://bucket/runs", True), ("gs://b", True), ("runs", False),
                                                  ("~/runs", False), ("/abs/runs", False)])
def test_a_storage_path_is_remote_when_it_is_a_uri(storage_path, remote):
    assert is_remote(storage_path) is remote


def test_a_local_experiment_is_its_own_report_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    options = SearchOptions(storage_path="runs", name="a")
    assert storage_uri("runs") == str(tmp_path / "runs")
    assert experiment_path(options) == str(tmp_path / "runs" / "a")
    assert report_dir(options) == tmp_path / "runs" / "a"
    upload_reports(options)  # nothing to copy: the reports are already in the experiment
    assert not (tmp_path / "runs").exists()


def test_a_remote_experiment_reports_to_runs_name_here():
    options = SearchOptions(storage_path="s3://bucket/raygan/", name="a")
    assert storage_uri(options.storage_path) == "s3://bucket/raygan/"
    assert experiment_path(options) == "s3://bucket/raygan/a"
    assert report_dir(options) == Path("runs") / "a"
