"""`anchor event create|list|show`."""

from __future__ import annotations

import argparse
from typing import Any

from ..kinds import EVENT_TYPES
from .context import Context


def register(sub: Any) -> None:
    ev = sub.add_parser("event", help="create, list and show events")
    evsub = ev.add_subparsers(dest="event_command", metavar="ACTION")
    evsub.required = True
    create = evsub.add_parser("create", help="create an event; prints its id as the last line")
    create.add_argument("name")
    create.add_argument("--type", dest="event_type", required=True, choices=EVENT_TYPES)
    create.add_argument("--json", action="store_true")
    create.set_defaults(func=cmd_create)
    ls = evsub.add_parser("list", help="list events")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)
    show = evsub.add_parser("show", help="show one event with its angles and music")
    show.add_argument("event")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_show)


def cmd_create(args: argparse.Namespace, ctx: Context) -> int:
    from ..catalog import events as events_repo

    event = events_repo.create_event(ctx.catalog(create=True), args.name, args.event_type)
    if args.json:
        ctx.out(event, True)
    else:
        print(f"created {event.event_type} event {event.name!r}")
        print(event.id)
    return 0


def cmd_list(args: argparse.Namespace, ctx: Context) -> int:
    from ..catalog import events as events_repo

    ctx.out(events_repo.list_events(ctx.catalog()), args.json)
    return 0


def cmd_show(args: argparse.Namespace, ctx: Context) -> int:
    from ..catalog import events as events_repo
    from ..catalog import music as music_repo
    from ..catalog import videos as videos_repo

    cat = ctx.catalog()
    event = events_repo.get_event(cat, args.event)
    videos = videos_repo.videos_frame(cat, event.id)
    music = music_repo.list_music(cat, event.id)
    if args.json:
        ctx.out({"event": event, "videos": videos, "music": music}, True)
        return 0
    print(f"{event.name} ({event.event_type}) id={event.id} status={event.status}")
    ctx.out(videos)
    for m in music:
        bpm = f", {m.tempo_bpm:.1f} BPM" if m.tempo_bpm else ""
        print(f"music {m.id}: {m.original_name} {m.duration_s:.1f} s{bpm}")
    return 0
