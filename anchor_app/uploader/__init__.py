"""The browser uploader: an anywidget whose JavaScript sends files in parts, 4 at a time, straight
to the store (presigned S3 URLs, or `anchor serve`'s signed local ones) through the HTTP API in
`anchor_app.uploads_api`. The kernel only learns the outcome (`results`); no file byte passes
through it or the notebook's websocket, so a 2.5 GB angle costs the server no memory.

It knows nothing of Anchor's library: the notebook passes the event and the choices.

    up = mo.ui.anywidget(Uploader(event_id=event_id, choices=angle_choices()))
    up.value["results"]  # one dict per finished file: the ingest result, or {"file", "error"}
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import anywidget
import traitlets

HERE = Path(__file__).resolve().parent
API = "/api/uploads"  # where `anchor serve` mounts uploads_api
ACCEPT = "video/*,audio/*,.mp4,.mov,.m4v,.mkv,.mts,.avi,.m4a,.mp3,.wav,.aac,.flac"


def choices_for(angle_types: Iterable[str], *, music: bool = True) -> list[list[str]]:
    """(value, label) pairs for the widget's "What is it" control: each angle type, then music."""
    out = [[a, f"{a} angle"] for a in angle_types]
    return out + ([["music", "music track"]] if music else [])


class Uploader(anywidget.AnyWidget):  # type: ignore[misc]
    _esm = HERE / "uploader.js"
    _css = HERE / "uploader.css"

    api = traitlets.Unicode(API).tag(sync=True)
    event_id = traitlets.Unicode("").tag(sync=True)
    choices = traitlets.List(traitlets.List(traitlets.Unicode()), default_value=[]).tag(sync=True)
    choice = traitlets.Unicode("").tag(sync=True)  # the one chosen at first
    accept = traitlets.Unicode(ACCEPT).tag(sync=True)
    hint = traitlets.Unicode("").tag(sync=True)
    parallel = traitlets.Int(4).tag(sync=True)  # part PUTs at once, over all files
    verify = traitlets.Bool(True).tag(sync=True)  # send the whole file's sha256 (checked by the server)
    results = traitlets.List(traitlets.Dict(), default_value=[]).tag(sync=True)  # written by the browser

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        if not self.choice and self.choices:
            self.choice = self.choices[0][0]
