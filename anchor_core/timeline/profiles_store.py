"""Profiles in the catalog: the built-ins seeded once per shipped version, every edit saved as a
new version.

Versions are one sequence per name, and a name means its latest version. The policy for the
built-in names (sports, concert, wedding, conference):
- a shipped built-in is stored once, as a row without a parent; it keeps its shipped number
  unless that number is already taken by a user's edit of the older built-in, in which case it
  becomes the next version on top. So a new built-in (the sports cut's version 2) always
  becomes the name's latest when it ships, and an edit a user saved before it stays stored
  under its own version (and every timeline built with it still records its exact rules);
- an edit saved after it builds on it and wins, as any later version does;
- a shipped built-in whose rules the catalog already holds as a built-in is not stored again.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from ..catalog import Catalog
from ..catalog.ids import new_id
from ..errors import NotFoundError
from .profile import BUILTIN, Profile, builtin_profile, profile_from_file, same_rules, validate_profile


def ensure_builtin_profiles(cat: Catalog) -> None:
    """Store each shipped built-in the catalog does not hold yet (see the module doc)."""
    for name in BUILTIN:
        p = builtin_profile(name)
        rows = cat.frame("SELECT body, version, parent_id FROM profiles WHERE name = ?", [p.name])
        shipped = [validate_profile(json.loads(b)) for b, _, parent in rows.iter_rows() if parent is None]
        if any(same_rules(q, p) for q in shipped):
            continue
        taken = {int(v) for v in rows["version"]}
        version = p.version if p.version not in taken and p.version > max(taken, default=0) else max(taken) + 1
        stored = replace(p, version=version)
        with cat.transaction() as cur:
            cur.execute("INSERT INTO profiles (id, name, event_type, version, body) VALUES (?, ?, ?, ?, ?)",
                        [new_id("prof"), stored.name, stored.event_type, version, json.dumps(stored.to_dict())])


def latest_profile(cat: Catalog, name: str) -> tuple[str, Profile]:
    ensure_builtin_profiles(cat)
    rows = cat.frame("SELECT id, body FROM profiles WHERE name = ? ORDER BY version DESC LIMIT 1", [name])
    if rows.height == 0:
        raise NotFoundError(f"no profile named {name!r}; built-ins are {', '.join(BUILTIN)}")
    return rows["id"][0], validate_profile(json.loads(rows["body"][0]))


def get_profile(cat: Catalog, profile_id: str) -> Profile:
    rows = cat.frame("SELECT body FROM profiles WHERE id = ?", [profile_id])
    if rows.height == 0:
        raise NotFoundError(f"no profile with id {profile_id!r}")
    return validate_profile(json.loads(rows["body"][0]))


def save_profile(cat: Catalog, profile: Profile) -> tuple[str, Profile]:
    """Store an edited profile as the next version of its name (or reuse the identical one)."""
    ensure_builtin_profiles(cat)
    rows = cat.frame("SELECT id, body, version FROM profiles WHERE name = ? ORDER BY version DESC", [profile.name])
    for pid, body, _ in rows.iter_rows():
        if same_rules(validate_profile(json.loads(body)), profile):
            return pid, validate_profile(json.loads(body))
    parent = rows["id"][0] if rows.height else None
    version = int(rows["version"][0]) + 1 if rows.height else 1
    stored = validate_profile({**profile.to_dict(), "version": version})
    pid = new_id("prof")
    with cat.transaction() as cur:
        cur.execute("INSERT INTO profiles (id, name, event_type, version, body, parent_id) VALUES (?, ?, ?, ?, ?, ?)",
                    [pid, stored.name, stored.event_type, version, json.dumps(stored.to_dict()), parent])
    return pid, stored


def resolve_profile(cat: Catalog, spec: str | Profile | None, event_type: str) -> tuple[str, Profile]:
    """A profile by name (latest version), by JSON file (saved as a version), or the event type's."""
    if isinstance(spec, Profile):
        return save_profile(cat, spec)
    if spec is None:
        return latest_profile(cat, event_type)
    if spec.endswith(".json") or Path(spec).is_file():
        return save_profile(cat, profile_from_file(spec))
    if spec.startswith("prof_"):
        return spec, get_profile(cat, spec)
    return latest_profile(cat, spec)


def timeline_profile(cat: Catalog, timeline_id: str) -> Profile | None:
    """The exact profile a stored timeline was built with (None for hand-made timelines)."""
    rows = cat.frame("SELECT p.body FROM timelines t JOIN profiles p ON p.id = t.profile_id WHERE t.id = ?",
                     [timeline_id])
    return validate_profile(json.loads(rows["body"][0])) if rows.height else None
