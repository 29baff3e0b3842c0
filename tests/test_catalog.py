from __future__ import annotations

import duckdb
import pytest

from anchor_core.catalog import Catalog
from anchor_core.catalog import events as events_repo
from anchor_core.catalog.migrations import MIGRATIONS
from anchor_core.catalog.status import check_transition
from anchor_core.errors import AnchorError, InvalidTransition, NotFoundError, ValidationError


def test_new_catalog_is_at_the_latest_schema_version(settings):
    with Catalog(settings.catalog_path) as cat:
        assert cat.schema_version() == max(m[0] for m in MIGRATIONS)
        tables = set(cat.frame("SELECT table_name FROM information_schema.tables")["table_name"])
    for name in ("events", "videos", "music", "features", "profiles", "timelines", "timeline_segments",
                 "ads", "renders", "reels", "shopify_stores", "products", "event_products", "jobs"):
        assert name in tables


def test_reopening_upgrades_with_new_migrations_and_keeps_data(settings):
    with Catalog(settings.catalog_path) as cat:
        ev = events_repo.create_event(cat, "Final", "sports")
    extra = [*MIGRATIONS, (max(m[0] for m in MIGRATIONS) + 1, "add a column", "ALTER TABLE events ADD COLUMN venue VARCHAR")]
    with Catalog(settings.catalog_path, migrations=extra) as cat:
        assert cat.schema_version() == extra[-1][0]
        assert events_repo.get_event(cat, ev.id).name == "Final"
        cols = set(cat.frame("SELECT column_name FROM information_schema.columns WHERE table_name='events'")[
            "column_name"])
        assert "venue" in cols


def test_a_failing_migration_is_rolled_back_and_reported(settings):
    Catalog(settings.catalog_path).close()
    broken = [*MIGRATIONS, (max(m[0] for m in MIGRATIONS) + 1, "broken", "CREATE TABLE half (a INT); SELECT * FROM nowhere")]
    with pytest.raises(AnchorError, match="migration .* failed"):
        Catalog(settings.catalog_path, migrations=broken)
    con = duckdb.connect(str(settings.catalog_path))
    version = con.execute("SELECT max(version) FROM schema_version").fetchone()[0]
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    con.close()
    assert version == max(m[0] for m in MIGRATIONS)
    assert "half" not in tables


def test_event_type_is_validated(catalog):
    with pytest.raises(ValidationError, match="unknown event type 'rodeo'"):
        events_repo.create_event(catalog, "x", "rodeo")
    with pytest.raises(ValidationError, match="needs a name"):
        events_repo.create_event(catalog, "  ", "sports")


def test_event_follows_the_platform_life_cycle(catalog):
    ev = events_repo.create_event(catalog, "Cup", "concert")
    assert ev.status == "created"
    for status in ("uploading", "uploaded", "analyzing", "analyzed", "generating", "completed"):
        ev = events_repo.set_event_status(catalog, ev.id, status)
        assert ev.status == status


@pytest.mark.parametrize(("current", "new"), [("created", "analyzed"), ("uploading", "completed"),
                                              ("analyzing", "generating"), ("completed", "created")])
def test_invalid_transitions_raise_a_clear_error(current, new):
    with pytest.raises(InvalidTransition, match=f"from '{current}' to '{new}'"):
        check_transition("event", current, new)


def test_invalid_transition_leaves_status_unchanged(catalog):
    ev = events_repo.create_event(catalog, "Cup", "wedding")
    with pytest.raises(InvalidTransition):
        events_repo.set_event_status(catalog, ev.id, "completed")
    assert events_repo.get_event(catalog, ev.id).status == "created"


def test_missing_event_names_the_id(catalog):
    with pytest.raises(NotFoundError, match="evt_nope"):
        events_repo.get_event(catalog, "evt_nope")
