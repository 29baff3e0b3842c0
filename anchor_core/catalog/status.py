"""The platform's life cycle for events and videos; the only place transitions are decided."""

from __future__ import annotations

from ..errors import InvalidTransition, ValidationError
from ..kinds import ANGLE_TYPES, EVENT_TYPES

STATUSES = ("created", "uploading", "uploaded", "analyzing", "analyzed", "generating", "completed", "failed")

EVENT_TRANSITIONS: dict[str, frozenset[str]] = {
    "created": frozenset({"uploading", "failed"}),
    "uploading": frozenset({"uploaded", "failed"}),
    "uploaded": frozenset({"uploading", "analyzing", "failed"}),
    "analyzing": frozenset({"analyzed", "failed"}),
    "analyzed": frozenset({"uploading", "analyzing", "generating", "failed"}),
    "generating": frozenset({"completed", "failed"}),
    "completed": frozenset({"uploading", "analyzing", "generating", "failed"}),
    "failed": frozenset({"uploading", "analyzing", "generating"}),
}

VIDEO_TRANSITIONS: dict[str, frozenset[str]] = {
    "uploading": frozenset({"uploaded", "failed"}),
    "uploaded": frozenset({"analyzing", "failed"}),
    "analyzing": frozenset({"analyzed", "failed"}),
    "analyzed": frozenset({"analyzing", "failed"}),
    "failed": frozenset({"uploading", "analyzing"}),
}


def check_event_type(event_type: str) -> str:
    if event_type not in EVENT_TYPES:
        raise ValidationError(f"unknown event type {event_type!r}; choose one of {', '.join(EVENT_TYPES)}")
    return event_type


def check_angle_type(angle_type: str) -> str:
    if angle_type not in ANGLE_TYPES:
        raise ValidationError(f"unknown angle type {angle_type!r}; choose one of {', '.join(ANGLE_TYPES)}")
    return angle_type


def check_transition(kind: str, current: str, new: str) -> str:
    table = EVENT_TRANSITIONS if kind == "event" else VIDEO_TRANSITIONS
    if current == new:
        return new
    allowed = table.get(current)
    if allowed is None or new not in allowed:
        options = ", ".join(sorted(allowed)) if allowed else "none"
        raise InvalidTransition(f"{kind} cannot go from {current!r} to {new!r} (allowed next: {options})")
    return new
