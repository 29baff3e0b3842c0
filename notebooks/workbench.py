import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full", app_title="Anchor workbench")

with app.setup:
    import marimo as mo
    import polars as pl

    from anchor_core.catalog import Catalog
    from anchor_core.catalog import events as events_repo
    from anchor_core.catalog import videos as videos_repo
    from anchor_core.catalog.status import ANGLE_TYPES, EVENT_TYPES
    from anchor_core.ingest import ingest_video
    from anchor_core.nbparams import notebook_params
    from anchor_core.reels.api import make_reel
    from anchor_core.reels.rank import VIBES
    from anchor_core.render.api import render_event
    from anchor_core.store import open_store


@app.cell
def params():
    _mode = mo.app_meta().mode
    requested_event, settings, media_url = notebook_params(_mode, mo.cli_args, mo.query_params)
    get_refresh, set_refresh = mo.state(0)
    return get_refresh, media_url, requested_event, set_refresh, settings


@app.cell
def event_list(get_refresh, settings):
    get_refresh()
    with Catalog(settings.catalog_path) as _cat:
        events = events_repo.list_events(_cat)
    return (events,)


@app.cell
def event_picker(events, requested_event):
    _options = {f"{r['name']} ({r['id']})": r["id"] for r in events.iter_rows(named=True)}
    _default = next((k for k, v in _options.items() if v == requested_event), next(iter(_options), None))
    picker = mo.ui.dropdown(options=_options, value=_default, label="Event")
    new_name = mo.ui.text(label="New event", placeholder="name")
    new_type = mo.ui.dropdown(options=list(EVENT_TYPES), value="sports", label="type")
    create = mo.ui.run_button(label="Create")
    mo.vstack([mo.md("# Anchor workbench"), mo.hstack([picker, new_name, new_type, create], justify="start")])
    return create, new_name, new_type, picker


@app.cell
def create_event(create, new_name, new_type, set_refresh, settings):
    mo.stop(not create.value)
    with Catalog(settings.catalog_path) as _cat:
        _e = events_repo.create_event(_cat, new_name.value, new_type.value)
    set_refresh(lambda n: n + 1)
    mo.md(f"Created **{_e.name}** `{_e.id}` — pick it above.")
    return


@app.cell
def current(get_refresh, picker, settings):
    get_refresh()
    event_id = picker.value or ""
    with Catalog(settings.catalog_path) as _cat:
        angles = videos_repo.videos_frame(_cat, event_id) if event_id else pl.DataFrame()
        event = events_repo.get_event(_cat, event_id) if event_id else None
    mo.stop(event is None, mo.md("Create or pick an event."))
    mo.vstack([mo.md(f"## {event.name} · {event.event_type} · status **{event.status}**"),
               mo.ui.table(angles, selection=None, label="Angles")])
    return angles, event, event_id


@app.cell
def ingest_form(settings):
    _incoming = settings.home / "incoming"
    _incoming.mkdir(parents=True, exist_ok=True)
    browser = mo.ui.file_browser(initial_path=_incoming, filetypes=[".mp4", ".mov", ".m4v", ".mkv"],
                                 selection_mode="file", multiple=True, restrict_navigation=True,
                                 label=f"Footage on the server (copy large files into {_incoming})")
    upload = mo.ui.file(filetypes=[".mp4", ".mov"], multiple=True, label="Or upload small clips")
    angle = mo.ui.dropdown(options=list(ANGLE_TYPES), value="wide", label="Angle type")
    go = mo.ui.run_button(label="Ingest")
    mo.vstack([mo.md("## Ingest"), browser, upload, angle, go])
    return angle, browser, go, upload


@app.cell
def ingest_run(angle, browser, event_id, go, set_refresh, settings, upload):
    mo.stop(not go.value)
    import io

    _store = open_store(settings)
    _items = [(str(f.path), None) for f in browser.value] + [(io.BytesIO(u.contents), u.name) for u in upload.value]
    _done = []
    with Catalog(settings.catalog_path) as _cat, mo.status.progress_bar(total=max(1, len(_items)),
                                                                       title="Ingesting") as _bar:
        for _src, _name in _items:
            try:
                _r = ingest_video(_cat, _store, event_id, _src, angle_type=angle.value, name=_name,
                                  scratch=settings.home / "tmp")
                _done.append(f"- {_name or _src}: {'added' if _r.created else 'already there'} `{_r.id}`")
            except Exception as _exc:  # shown to the producer, nothing stored
                _done.append(f"- {_name or _src}: **refused** — {_exc}")
            _bar.update()
    set_refresh(lambda n: n + 1)
    mo.md("\n".join(_done) or "Nothing selected.")
    return


@app.cell
def render_controls():
    render_btn = mo.ui.run_button(label="Render master")
    mo.vstack([mo.md("## Render"), render_btn])
    return (render_btn,)


@app.cell
def render_run(event_id, media_url, render_btn, set_refresh, settings):
    mo.stop(not render_btn.value)
    with Catalog(settings.catalog_path) as _cat, mo.status.progress_bar(total=100, title="Rendering") as _bar:
        _last = [0]

        def _progress(done, total, message):
            _pct = int(100 * done / max(total, 1))
            _bar.update(increment=max(0, _pct - _last[0]), subtitle=message)
            _last[0] = max(_last[0], _pct)

        _r = render_event(_cat, open_store(settings), settings, event_id, progress=_progress)
    set_refresh(lambda n: n + 1)
    mo.vstack([mo.md(f"Master: `{_r.object_key}` ({_r.result.duration_s:.1f} s, {_r.ads} ads)"),
               mo.Html(f'<video controls style="width:100%" src="{media_url}{_r.object_key}"></video>')
               if media_url else mo.md("")])
    return


@app.cell
def ads_preview(event_id, get_refresh, media_url, settings):
    get_refresh()
    with Catalog(settings.catalog_path) as _cat:
        _ads = _cat.frame("SELECT a.slot_idx, p.title, a.object_key, a.prompt FROM ads a LEFT JOIN products p"
                          " ON p.id = a.product_id WHERE a.event_id = ? ORDER BY a.created_at DESC", [event_id])
    _items = [mo.md("## Ad previews")]
    for _r in _ads.head(6).iter_rows(named=True):
        _items.append(mo.md(f"**Slot {_r['slot_idx']}** — {mo.Html(str(_r['title'])).text}"))
        if media_url:
            _items.append(mo.Html(f'<video controls style="width:480px" src="{media_url}{_r["object_key"]}"></video>'))
    mo.vstack(_items if _ads.height else [mo.md("## Ad previews\n\nNo ad clips yet: render to make them.")])
    return


@app.cell
def reel_controls():
    reel_query = mo.ui.text(label="Query", placeholder="empty = everything")
    reel_vibe = mo.ui.dropdown(options=sorted(VIBES), value="high_energy", label="Vibe")
    reel_len = mo.ui.slider(10, 60, step=5, value=30, label="Duration (s)")
    reel_btn = mo.ui.run_button(label="Make reel")
    mo.vstack([mo.md("## Reels"), mo.hstack([reel_query, reel_vibe, reel_len, reel_btn], justify="start")])
    return reel_btn, reel_len, reel_query, reel_vibe


@app.cell
def reel_run(event_id, media_url, reel_btn, reel_len, reel_query, reel_vibe, settings):
    mo.stop(not reel_btn.value)
    with Catalog(settings.catalog_path) as _cat, mo.status.spinner(title="Cutting the reel"):
        _r = make_reel(_cat, open_store(settings), settings, event_id, query=reel_query.value, vibe=reel_vibe.value,
                       duration_s=float(reel_len.value))
    _moments = pl.DataFrame([m.__dict__ for m in _r.moments])
    mo.vstack([mo.md(f"Reel `{_r.reel_id}`: {_r.duration_s:.1f} s"), mo.ui.table(_moments, selection=None),
               mo.Html(f'<video controls style="width:100%" src="{media_url}{_r.object_key}"></video>')
               if media_url else mo.md("")])
    return


if __name__ == "__main__":
    app.run()
