"""Atomic writes: all or nothing, normal permissions, and an early writability check."""
import os
import stat

import pytest

from raygan.atomic import _umask, atomic_path, check_writable
from raygan.errors import RayganError


def test_success_replaces_the_file_with_normal_permissions(tmp_path):
    target = tmp_path / "sub" / "file.txt"
    with atomic_path(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~_umask()
    assert os.listdir(target.parent) == ["file.txt"]


def test_failure_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("old")
    with pytest.raises(ValueError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise ValueError("crash mid-write")
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["file.txt"]


def test_check_writable(tmp_path):
    existing = tmp_path / "best.safetensors"
    existing.write_bytes(b"keep me")
    check_writable(existing)
    assert existing.read_bytes() == b"keep me" and os.listdir(tmp_path) == ["best.safetensors"]
    with pytest.raises(RayganError, match="is a folder"):
        check_writable(tmp_path)
    with pytest.raises(RayganError, match="cannot write"):
        check_writable("/proc/raygan/x.safetensors")

