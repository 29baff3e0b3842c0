"""The reel form's pieces shared by the organizer and the workbench: the "find me" photo input
(only where the search takes image queries) and the reel job's arguments."""

from __future__ import annotations

from typing import Any

import marimo as mo

from anchor_core.config import Settings
from anchor_core.reels import MAX_FACE_BYTES, search_takes_faces, store_face


def face_input(settings: Settings) -> Any | None:
    """A photo picker for "find me", or None when the configured search cannot use one."""
    if not search_takes_faces(settings):
        return None
    return mo.ui.file(filetypes=[".jpg", ".jpeg", ".png", ".webp"], max_size=MAX_FACE_BYTES,
                      label="Find me (a photo of your face)")


def reel_args(settings: Settings, event_id: str, *, query: str, vibe: str, duration_s: float,
              face: Any | None) -> dict[str, Any]:
    """The `reel` job's arguments; a picked photo is checked and kept in the store first (the
    worker reads it by key). Raises AnchorError for a photo that is not one."""
    args: dict[str, Any] = {"event": event_id, "query": query, "vibe": vibe, "duration_s": float(duration_s)}
    if face is not None and face.value:
        from anchor_core.store import open_store

        args["face_key"] = store_face(open_store(settings), event_id, face.value[0].contents)
    return args
