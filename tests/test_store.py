from __future__ import annotations

import io

import pytest

from anchor_core.errors import StoreKeyError
from anchor_core.store import LocalStore, safe_ext, validate_key, video_key


def test_put_stream_then_read_back(store: LocalStore):
    store.put_stream("events/e1/videos/v1.mp4", io.BytesIO(b"abc" * 1000))
    assert store.exists("events/e1/videos/v1.mp4")
    with store.open("events/e1/videos/v1.mp4") as fh:
        assert fh.read() == b"abc" * 1000
    assert list(store.list("events/e1/")) == ["events/e1/videos/v1.mp4"]
    store.delete("events/e1/videos/v1.mp4")
    assert not store.exists("events/e1/videos/v1.mp4")


class _Exploding(io.RawIOBase):
    def __init__(self) -> None:
        self.calls = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        self.calls += 1
        if self.calls > 2:
            raise OSError("network dropped")
        return b"x" * 1024


def test_a_crash_mid_write_leaves_no_file_under_the_key(store: LocalStore):
    store.put_stream("outputs/e1/master.mp4", io.BytesIO(b"old master"))
    with pytest.raises(OSError, match="network dropped"):
        store.put_stream("outputs/e1/master.mp4", _Exploding())
    with store.open("outputs/e1/master.mp4") as fh:
        assert fh.read() == b"old master"  # the previous version is intact
    leftovers = [p.name for p in (store.root / "outputs" / "e1").iterdir()]
    assert leftovers == ["master.mp4"]
    assert not list((store.root / ".incoming").iterdir())  # the part was removed, not left behind
    assert list(store.list()) == ["outputs/e1/master.mp4"]


@pytest.mark.parametrize("key", [
    "../escape.mp4", "events/../../etc/passwd", "/etc/passwd", "events//x", "events/./x", "a\\b",
    "C:/windows", "events/e1/vid\x00.mp4", "events/e1/new\nline", "events/e1/spa ce.mp4", "", "é/x",
])
def test_hostile_keys_are_refused(store: LocalStore, key: str):
    with pytest.raises(StoreKeyError):
        store.put_stream(key, io.BytesIO(b"data"))
    assert list(store.list()) == []


def test_platform_key_layout():
    assert video_key("evt_1", "vid_2", "mp4") == "events/evt_1/videos/vid_2.mp4"
    assert validate_key("outputs/evt_1/master.mp4")


def test_hostile_upload_names_fall_back_to_a_safe_extension():
    assert safe_ext("../../etc/passwd", "mp4") == "mp4"
    assert safe_ext("clip.MOV", "mp4") == "mov"
    assert safe_ext("x.mp4;rm -rf", "mp4") == "mp4"
