import os

import pytest

from softrecon.utils.atomic import atomic_write


def test_writes_text_and_binary(tmp_path):
    target = tmp_path / "a.txt"
    with atomic_write(target) as f:
        f.write("hello")
    assert target.read_text() == "hello"
    with atomic_write(target, "wb") as f:
        f.write(b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert os.listdir(tmp_path) == ["a.txt"]  # no temporary left behind


def test_error_keeps_old_content_and_removes_temp(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as f:
            f.write("new, half written")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["a.txt"]


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="mode"):
        with atomic_write(tmp_path / "x", "a"):
            pass
    with pytest.raises(ValueError, match="does not exist"):
        with atomic_write(tmp_path / "missing" / "x"):
            pass


def test_permissions_follow_umask(tmp_path):
    target = tmp_path / "p.txt"
    with atomic_write(target) as f:
        f.write("x")
    mask = os.umask(0)
    os.umask(mask)
    assert os.stat(target).st_mode & 0o777 == 0o666 & ~mask
