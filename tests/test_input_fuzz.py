"""Input fuzzing (issue 19): what a user or an upload can hand the profile loader and the store.

Properties, with bounded example counts so the module stays a few seconds:
- the profile loader turns any text, bytes or JSON into a valid Profile or a ValidationError
  (never another exception), and a Profile it returns validates again to itself;
- the store key validator turns any string into a StoreKeyError or a key whose local path stays
  inside the store root; put_file / path_for / delete never touch anything outside it.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import fields
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from anchor_core.errors import StoreKeyError, ValidationError
from anchor_core.store import LocalStore, safe_ext, validate_key
from anchor_core.timeline.profile import (
    Profile,
    builtin_profile,
    parse_profile_json,
    profile_from_file,
    validate_profile,
)

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FILES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- The profile loader ----------------------------------------------------------------------

json_scalars = (st.none() | st.booleans() | st.integers() | st.integers(min_value=-10**400, max_value=10**400)
                | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=12)
FIELD_NAMES = [f.name for f in fields(Profile)]
BASE = builtin_profile("sports").to_dict()


def _check_profile(p: Profile) -> None:
    """A returned profile is whole: it validates again to itself and its fields have their types."""
    assert isinstance(p, Profile)
    assert validate_profile(p.to_dict()) == p
    assert isinstance(p.name, str) and p.name.strip() and isinstance(p.description, str)
    for f in fields(Profile):
        v = getattr(p, f.name)
        if f.type in ("int", "float"):
            assert isinstance(v, int | float) and not isinstance(v, bool) and v == v and abs(v) != float("inf"), f.name
        elif f.type == "bool":
            assert isinstance(v, bool), f.name
        elif f.type == "str":
            assert isinstance(v, str), f.name
        elif f.type.startswith("tuple"):
            assert isinstance(v, tuple) and all(isinstance(x, str) for x in v), f.name
        elif f.type.startswith("dict"):
            assert isinstance(v, dict) and all(isinstance(x, int | float) and not isinstance(x, bool)
                                               for x in v.values()), f.name


def _load(body: Any) -> None:
    try:
        p = validate_profile(body)
    except ValidationError as exc:
        assert str(exc)
        assert len(str(exc)) < 2000, "the message quotes a whole hostile value"
        return
    _check_profile(p)


@FAST
@given(json_values)
@example(["not", "an", "object"])
@example({"name": "x", "event_type": "sports", "zoom_angle_types": 3})
@example({"name": "x", "event_type": "sports", "ad_break_events": 7})
@example({"name": "x", "event_type": "sports", "window_ms": 10**400})
@example({"name": "x", "event_type": "sports", "hysteresis": 10**400})
def test_any_json_value_is_a_profile_or_a_validation_error(body):
    _load(body)


@FAST
@given(st.sampled_from(FIELD_NAMES), json_values)
@example("window_ms", float("inf"))
@example("smooth_windows", 2.5)
@example("version", True)
@example("description", ["a"])
@example("zoom_angle_types", "wide")
@example("ad_applause_events", {"cheer": 1})
@example("strategy", ["hysteresis"])
@example("fallback_angle", {"wide": 1})
@example("base", [1, 2])
def test_one_hostile_field_in_a_real_profile(field, value):
    _load({**BASE, field: value})


@FAST
@given(st.dictionaries(st.sampled_from(FIELD_NAMES), json_values, max_size=6))
def test_several_hostile_fields_in_a_real_profile(changes):
    _load({**BASE, **changes})


def _load_text(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "profile.json"
        path.write_bytes(data)
        try:
            p = profile_from_file(path)
        except ValidationError as exc:
            assert str(exc)
            return
        _check_profile(p)


@FILES
@given(st.binary(max_size=200))
@example(b"\xff\xfe{}")
@example(b'{"name": "x", "event_type": "sports", "window_ms": NaN}')
@example(b'{"name": "x", "event_type": "sports", "window_ms": Infinity}')
@example(b"[" * 100_000 + b"]" * 100_000)
@example(b'{"name": "x", "event_type": "sports", "window_ms": 1' + b"0" * 5000 + b"}")
@example(b"\xef\xbb\xbf" + json.dumps(BASE).encode())  # a byte-order mark, as some editors save
def test_any_file_is_a_profile_or_a_validation_error(data):
    _load_text(data)


@FILES
@given(st.text(max_size=200))
def test_any_text_file_is_a_profile_or_a_validation_error(text):
    _load_text(text.encode("utf-8", "surrogatepass"))


@FILES
@given(st.sampled_from(FIELD_NAMES), json_values)
def test_a_real_profile_file_with_one_hostile_field(field, value):
    text = json.dumps({**BASE, field: value})  # may write NaN / Infinity: the loader refuses them
    _load_text(text.encode())


def test_parse_profile_json_names_what_is_wrong():
    for text, fragment in [("{", "is not valid JSON"), ("[1]", "must hold one JSON object of profile fields (got a list)"),
                           ('{"a": NaN}', "NaN is not a JSON number"), ("[" * 100_000, "not valid JSON|nested")]:
        try:
            parse_profile_json(text, "p.json")
        except ValidationError as exc:
            assert any(f in str(exc) for f in fragment.split("|")), (text[:20], str(exc))
        else:
            raise AssertionError(f"{text[:20]!r} was accepted")


# --- The store key validator ----------------------------------------------------------------

segment_chars = st.sampled_from(list("abcXYZ019._-") + ["..", ".", "/", "\\", ":", "\x00", "\n", " ", "é", "~",
                                                        "%2e", "\u202e", "\udcff", "C:"])
key_like = st.lists(segment_chars, min_size=0, max_size=30).map("".join)
any_key = key_like | st.text(max_size=80) | st.text(alphabet="a./", min_size=0, max_size=600)


def _inside(root: Path, path: Path) -> bool:
    return root == path.resolve().parent or root in path.resolve().parents


@FAST
@given(any_key)
@example("../x")
@example("a/../../x")
@example("a/./b")
@example("/etc/passwd")
@example("a\\..\\b")
@example("C:/x")
@example("a/b\n")
@example("x" * 256)
@example("a/" + "b" * 255)
@example("a//b")
@example(".incoming/x")
def test_every_key_is_refused_or_stays_inside_the_store(key):
    with tempfile.TemporaryDirectory() as d:
        outside = Path(d)
        root = outside / "store"
        store = LocalStore(root)
        src = outside / "src.bin"
        src.write_bytes(b"payload")
        before = sorted(p.relative_to(outside).as_posix() for p in outside.rglob("*") if p.is_file())
        try:
            validate_key(key)
        except StoreKeyError as exc:
            assert str(exc)
            for op in (lambda: store.put_file(key, src), lambda: store.path_for(key), lambda: store.delete(key)):
                try:
                    op()
                except StoreKeyError:
                    pass
                else:
                    raise AssertionError(f"the store used the refused key {key!r}")
            after = sorted(p.relative_to(outside).as_posix() for p in outside.rglob("*") if p.is_file())
            assert after == before
            return
        try:
            store.put_file(key, src)
        except StoreKeyError:  # the store may refuse more (its own folders), never less
            return
        path = store.path_for(key)
        assert _inside(store.root, path) and path.read_bytes() == b"payload"
        assert key in list(store.list())
        written = {p.resolve() for p in outside.rglob("*") if p.is_file()} - {src.resolve()}
        assert all(_inside(store.root, p) for p in written), written
        store.delete(key)
        assert not path.exists()
        assert src.read_bytes() == b"payload"


@FAST
@given(st.text(max_size=40), st.sampled_from(["mp4", "m4a", "bin"]))
@example("clip.mp4\n", "mp4")
@example("a.MP4", "mp4")
@example("a.mp4/../../x", "mp4")
def test_safe_ext_gives_a_key_safe_extension(name, default):
    ext = safe_ext(name, default)
    assert validate_key(f"events/e/videos/v.{ext}")
    assert ext.isascii() and ext.isalnum() and ext == ext.lower() and 1 <= len(ext) <= 8
