import marimo

__generated_with = "0.25.2"
app = marimo.App(width="full", app_title="Anchor workbench")

with app.setup:
    import html
    from pathlib import Path

    import marimo as mo
    import polars as pl

    from anchor_app import ads_view, jobs_panel, paid_work, reel_form
    from anchor_app.uploader import Uploader, choices_for
    from anchor_core import fmt
    from anchor_core.ads import list_ads
    from anchor_core.analysis import event_features
    from anchor_core.catalog import Catalog
    from anchor_core.catalog import events as events_repo
    from anchor_core.catalog import products as products_repo
    from anchor_core.catalog import videos as videos_repo
    from anchor_core.catalog.status import ANGLE_TYPES, EVENT_TYPES
    from anchor_core.errors import AnchorError
    from anchor_core.ingest import ingest_video
    from anchor_core.nbparams import notebook_params
    from anchor_core.products_upload import MAX_UPLOAD_BYTES, import_products_upload, import_summary_html
    from anchor_core.reels import VIBES
    from anchor_core.store import open_store
    from anchor_core.sync import load_angles, sync_details
    from anchor_core.timeline import (
        angle_usage,
        fit_max_segment,
        open_session,
        rebuild,
        save,
        timeline_summary,
    )
    from anchor_core.viz import features_figure, figure_to_html, sync_figure, sync_plot_note, timeline_figure


@app.cell
def params():
    _mode = mo.app_meta().mode
    requested_event, settings, media_url = notebook_params(_mode, mo.cli_args, mo.query_params)
    # Two counters: `refresh` re-reads the event's data after an action, `events` the event list.
    # An action cell must never depend on what its own refresh re-creates (other than its button):
    # it would run again with the button still pressed, for ever (tests/test_notebooks.py checks).
    get_refresh, set_refresh = mo.state(0)
    get_events, set_events = mo.state(0)
    # Long work runs as jobs in `anchor worker`; the job panel bumps `jobs_done` when one finishes
    # (the views re-read), `inputs` when sync or analysis did (the timeline's inputs re-read: not on
    # every job, so a finished render does not reset the profile knobs), and sets `actionable`
    # when the jobs with a Cancel or Retry button change.
    get_jobs_done, set_jobs_done = mo.state(0)
    get_inputs, set_inputs = mo.state(0)
    get_actionable, set_actionable = mo.state(())
    job_watch = jobs_panel.Watch()
    return (get_actionable, get_events, get_inputs, get_jobs_done, get_refresh, job_watch, media_url,
            requested_event, set_actionable, set_events, set_inputs, set_jobs_done, set_refresh, settings)


@app.cell
def event_list(get_events, settings):
    get_events()
    with Catalog(settings.catalog_path) as _cat:
        events = events_repo.list_events(_cat)
    return (events,)


@app.cell
def event_form():
    new_name = mo.ui.text(label="New event", placeholder="name")
    new_type = mo.ui.dropdown(options=list(EVENT_TYPES), value="sports", label="type")
    create = mo.ui.run_button(label="Create")
    return create, new_name, new_type


@app.cell
def event_picker(create, events, new_name, new_type, requested_event):
    _options = {f"{r['name']} ({r['id']})": r["id"] for r in events.iter_rows(named=True)}
    _default = next((k for k, v in _options.items() if v == requested_event), next(iter(_options), None))
    picker = mo.ui.dropdown(options=_options, value=_default, label="Event")
    mo.vstack([mo.md("# Anchor workbench"), mo.hstack([picker, new_name, new_type, create], justify="start")])
    return (picker,)


@app.cell
def create_event(create, new_name, new_type, set_events, settings):
    mo.stop(not create.value)
    with Catalog(settings.catalog_path) as _cat:
        _e = events_repo.create_event(_cat, new_name.value, new_type.value)
    set_events(lambda n: n + 1)
    mo.md(f"Created **{_e.name}** `{_e.id}` — pick it above.")
    return


@app.cell
def chosen_event(picker):
    event_id = picker.value or ""
    mo.stop(not event_id, mo.md("Create or pick an event."))
    return (event_id,)


@app.cell
def job_ticker():
    job_tick = mo.ui.refresh(options=["1s", "5s"], default_interval=jobs_panel.TICK, label="Jobs, live")
    mo.hstack([mo.md("## Jobs"), job_tick], justify="start", align="center")
    return (job_tick,)


@app.cell
def job_list(event_id, job_tick, job_watch, set_actionable, set_inputs, set_jobs_done, settings):
    _ = job_tick.value  # re-read the catalog on every tick
    _view, _newly_done = jobs_panel.show(job_watch, settings, event_id, set_jobs_done=set_jobs_done,
                                         set_actionable=set_actionable)
    if _newly_done & {"sync", "analyze", "prepare"}:  # the timeline's inputs changed
        set_inputs(lambda n: n + 1)
    mo.output.replace(_view)
    return


@app.cell
def job_actions(get_actionable, settings):
    job_buttons = jobs_panel.actions(settings, get_actionable())
    job_buttons.hstack(justify="start")
    return (job_buttons,)


@app.cell
def current(event_id, get_jobs_done, get_refresh, settings):
    get_refresh()
    get_jobs_done()
    with Catalog(settings.catalog_path) as _cat:
        _angles = videos_repo.videos_frame(_cat, event_id)
        _event = events_repo.get_event(_cat, event_id)
    mo.vstack([mo.md(f"## {_event.name} · {_event.event_type} · status **{_event.status}**"),
               mo.ui.table(_angles, selection=None, label="Angles",
                           format_mapping=fmt.units_for(_angles, fmt.VIDEO_UNITS))])
    return


@app.cell
def ingest_form(event_id, media_url):
    # Served by `anchor serve` (media_url is set): files go from the browser to the store in
    # resumable parts, never through this kernel. Under `marimo edit` the browser is on this
    # machine, so the files are picked where they already are.
    browser = None if media_url else mo.ui.file_browser(
        initial_path=Path.home(), filetypes=[".mp4", ".mov", ".m4v", ".mkv"], selection_mode="file", multiple=True,
        label="Footage on this machine")
    uploader = mo.ui.anywidget(Uploader(event_id=event_id, choices=choices_for(ANGLE_TYPES))) if media_url else None
    angle = mo.ui.dropdown(options=list(ANGLE_TYPES), value="wide", label="Angle type")
    go = mo.ui.run_button(label="Ingest")
    mo.vstack([mo.md("## Ingest"), uploader] if uploader is not None else
              [mo.md("## Ingest"), browser, angle, go,
               mo.md("Served by `anchor serve`, this section uploads from the browser instead (any size, resumable).")])
    return angle, browser, go, uploader


@app.cell
def ingest_run(angle, browser, event_id, go, set_refresh, settings):
    mo.stop(browser is None or not go.value)
    _store = open_store(settings)
    _done = []
    with Catalog(settings.catalog_path) as _cat, mo.status.progress_bar(total=max(1, len(browser.value)),
                                                                       title="Ingesting") as _bar:
        for _f in browser.value:
            try:
                _r = ingest_video(_cat, _store, event_id, str(_f.path), angle_type=angle.value,
                                  scratch=settings.home / "tmp", ffmpeg=settings.ffmpeg)
                _done.append(f"- {_f.name}: {'added' if _r.created else 'already there'} `{_r.id}`")
            except Exception as _exc:  # shown to the producer, nothing stored
                _done.append(f"- {_f.name}: **refused** — {_exc}")
            _bar.update()
    set_refresh(lambda n: n + 1)
    mo.md("\n".join(_done) or "Nothing selected.")
    return


@app.cell
def upload_results(set_refresh, uploader):
    # Re-runs when the browser reports a finished file; the angle table above re-reads then.
    mo.stop(uploader is None or not uploader.value["results"])
    _results = uploader.value["results"]
    set_refresh(lambda n: n + 1)
    mo.md("\n".join(f"- {html.escape(r['file'])}: **refused** — {html.escape(r['error'])}" if "error" in r else
                     f"- {html.escape(r['file'])}: {'added' if r['created'] else 'already there'} `{r['id']}`"
                     for r in _results))
    return


@app.cell
def sync_controls():
    sync_btn = mo.ui.run_button(label="Sync angles")
    mo.vstack([mo.md("## Sync"), sync_btn])
    return (sync_btn,)


@app.cell
def sync_run(event_id, settings, sync_btn):
    mo.stop(not sync_btn.value)
    jobs_panel.submit(settings, "sync", {"event": event_id})
    return


@app.cell
def sync_view(event_id, get_jobs_done, get_refresh, settings):
    get_refresh()
    get_jobs_done()
    with Catalog(settings.catalog_path) as _cat:
        _rows = videos_repo.videos_frame(_cat, event_id).select(
            "video_id", "angle_type", "is_reference", "sync_status", "sync_offset_s", "sync_drift_ppm",
            "sync_confidence", "sync_reason")
        _stored = sync_details(_cat, event_id)
    _details = [dict(_stored[_v], label=f"{_t} {_v[-6:]}", reference=bool(_ref)) for _v, _t, _ref in
                _rows.select("video_id", "angle_type", "is_reference").iter_rows() if _v in _stored]
    _note = ("Not synced yet: press **Sync angles**." if _rows["sync_status"].null_count() == _rows.height
             else sync_plot_note(_details))
    _left_out = fmt.unsynced_note(_rows.to_dicts())
    mo.vstack([mo.callout(mo.md(_left_out), kind="danger") if _left_out else mo.md(""),
               mo.ui.table(_rows, selection=None, label="Sync per angle",
                           format_mapping=fmt.units_for(_rows, fmt.SYNC_UNITS),
                           style_cell=fmt.alarm_style(fmt.alarm_rows(_rows["sync_status"].to_list()))),
               mo.md(_note) if _note else sync_figure(_details)])
    return


@app.cell
def analysis_controls(event_id, get_refresh, settings):
    get_refresh()
    analyze_btn = mo.ui.run_button(label="Analyse angles")
    reanalyze = mo.ui.checkbox(label="ignore the cache")
    # a paid analyzer shows what the button would spend, and waits for a tick
    _cost = paid_work.analysis_cost(settings, event_id)
    confirm_cost = mo.ui.checkbox(label=paid_work.analysis_label(_cost)) if _cost else None
    mo.vstack([mo.md(f"## Analysis ({settings.analyzer_backend}: motion, cuts, faces, speech, crowd, whistles)"),
               mo.hstack([analyze_btn, reanalyze], justify="start"), confirm_cost or mo.md("")])
    return analyze_btn, confirm_cost, reanalyze


@app.cell
def analysis_run(analyze_btn, confirm_cost, event_id, reanalyze, settings):
    mo.stop(not analyze_btn.value)
    mo.stop(confirm_cost is not None and not confirm_cost.value,
            mo.callout(mo.md("Tick the cost line first: this analysis is billed by TwelveLabs."), kind="warn"))
    jobs_panel.submit(settings, "analyze", {"event": event_id, **({"force": True} if reanalyze.value else {})})
    return


@app.cell
def analysis_view(event_id, get_jobs_done, get_refresh, settings):
    get_refresh()
    get_jobs_done()
    with Catalog(settings.catalog_path) as _cat:
        _synced = load_angles(_cat, event_id, require_synced=False).synced
        _feats = event_features(_cat, _synced).frame if _synced else pl.DataFrame()
    mo.stop(_feats.height == 0, mo.md("No features yet: press **Analyse angles**."))
    _angles = _feats.select("video_id", "angle_type").unique(maintain_order=True)
    _overview = _feats.group_by("video_id", "angle_type").agg(
        pl.len().alias("windows"), pl.col("action_intensity").mean().alias("mean_action"),
        pl.col("action_intensity").max().alias("max_action"), pl.col("scene_cut").sum().alias("cuts"),
        (pl.col("speech") >= 0.3).mean().alias("speech_share"),
        pl.col("key_moment").sum().alias("key_moments")).sort("angle_type")
    _by = paid_work.analysis_backends(settings, event_id)  # who measured each angle
    _overview = _overview.with_columns(
        pl.col("video_id").replace_strict(_by, default="local", return_dtype=pl.Utf8).alias("backend"))
    _windows = _feats.select("angle_type", "t_event_s", "action_intensity", "scene_type", "faces", "speech",
                             "crowd_energy", "audio_events", "key_moment", "description")
    mo.vstack([
        mo.ui.table(_overview, selection=None, label="Per angle",
                    format_mapping=fmt.units_for(_overview, fmt.FEATURE_SUMMARY_UNITS)),
        mo.ui.tabs({c: mo.Html(figure_to_html(features_figure(_feats, _angles, c), dpi=90, alt=c))
                    for c in ("action_intensity", "crowd_energy", "speech", "visual_complexity")}),
        mo.ui.table(_windows, label="Windows (search with the table's filter)", page_size=10,
                    format_mapping=fmt.units_for(_windows, fmt.WINDOW_UNITS)),
    ])
    return


@app.cell
def timeline_inputs(event_id, get_inputs, get_refresh, settings):
    get_refresh()
    get_inputs()
    with Catalog(settings.catalog_path) as _cat:
        try:  # the profile first, then the inputs at its window
            tl_inputs, _pid, base_profile = open_session(_cat, event_id)
            _why = ""
        except AnchorError as _e:
            tl_inputs, base_profile, _why = None, None, str(_e)
    mo.stop(tl_inputs is None, mo.md(f"## Timeline\n\n{_why}"))
    return base_profile, tl_inputs


@app.cell
def profile_editor(base_profile):
    _p = base_profile
    _close = _p.action_gain.get("closeup", 0.0)
    knobs = mo.ui.dictionary({
        "hysteresis": mo.ui.slider(0.0, 1.0, step=0.05, value=_p.hysteresis, label="Hysteresis", show_value=True),
        "min_s": mo.ui.slider(1.0, 15.0, step=0.5, value=_p.min_segment_ms / 1000, label="Min shot (s)",
                              show_value=True),
        "max_s": mo.ui.slider(4.0, 90.0, step=1.0, value=_p.max_segment_ms / 1000, label="Max shot (s)",
                              show_value=True),
        "closeup_gain": mo.ui.slider(0.0, 20.0, step=0.25, value=_close, label="Closeup action weight",
                                     show_value=True),
        "face_bonus": mo.ui.slider(0.0, 50.0, step=1.0, value=_p.face_bonus.get("closeup", 0.0),
                                   label="Face bonus", show_value=True),
        "zoom": mo.ui.slider(0.0, 11.0, step=0.5, value=_p.zoom_threshold,
                             label="Zoom at relative intensity (8 = the angle's top tenth)",
                             show_value=True),
        "ad": mo.ui.slider(0.0, 100.0, step=5.0, value=_p.ad_threshold, label="Ad slot threshold", show_value=True),
        "strategy": mo.ui.dropdown(options=["hysteresis", "optimal"], value=_p.strategy, label="Strategy"),
    })
    save_tl = mo.ui.run_button(label="Save profile + timeline")
    mo.vstack([mo.md(f"## Timeline · profile **{_p.name}** v{_p.version}"), mo.hstack(
        [mo.vstack(list(knobs.elements.values())[:4]), mo.vstack(list(knobs.elements.values())[4:]), save_tl],
        justify="start", align="start")])
    return knobs, save_tl


@app.cell
def live_timeline(base_profile, knobs, tl_inputs):
    import time as _time

    _k = knobs.value
    _t0 = _time.perf_counter()
    _bad = ""
    _min_ms = int(_k["min_s"] * 1000)
    _max_ms = fit_max_segment(_min_ms, int(_k["max_s"] * 1000), base_profile.window_ms)
    _raised = f" · max shot raised to {_max_ms / 1000:g} s to fit the minimum" if _max_ms > _k["max_s"] * 1000 else ""
    try:
        profile = base_profile.with_changes(
            hysteresis=_k["hysteresis"], min_segment_ms=_min_ms, max_segment_ms=_max_ms,
            action_gain={**base_profile.action_gain, "closeup": _k["closeup_gain"]},
            face_bonus={**base_profile.face_bonus, "closeup": _k["face_bonus"]}, zoom_threshold=_k["zoom"],
            ad_threshold=_k["ad"], strategy=_k["strategy"])
    except AnchorError as _e:
        profile = None
        _bad = str(_e)
    mo.stop(profile is None, mo.callout(mo.md(f"Profile refused: {_bad}"), kind="danger"))
    live_tl = rebuild(tl_inputs, profile)
    _f = live_tl.frames()
    _angles = pl.DataFrame({"video_id": [a.video_id for a in tl_inputs.grid.angles],
                            "angle_type": [a.angle_type for a in tl_inputs.grid.angles]})
    _fig = timeline_figure(_f["segments"], _angles, zooms=_f["zooms"], ad_slots=_f["ad_slots"], chapters=_f["chapters"],
                           beats=list(tl_inputs.beats_s), title=f"{profile.name} · {live_tl.strategy}")
    _png = figure_to_html(_fig, dpi=90, alt="timeline")  # encoded here, at screen size: counted in the time
    _ms = (_time.perf_counter() - _t0) * 1000
    mo.vstack([
        mo.Html(_png),
        mo.md(f"<span id='tl-stats'>**{len(live_tl.segments)} segments** · {len(live_tl.zooms)} zooms · "
              f"{len(live_tl.ad_slots)} ad slots · {len(live_tl.chapters)} chapters</span> · rebuilt and drawn in "
              f"{_ms:.0f} ms{_raised}"),
    ])
    return live_tl, profile


@app.cell
def timeline_tables(live_tl):
    # A cell of its own: the plot above reaches the browser first, the SQL statistics follow.
    _f = live_tl.frames()
    _summary = timeline_summary(_f["segments"], _f["zooms"], _f["ad_slots"], _f["chapters"])
    _usage = angle_usage(_f["segments"])
    mo.vstack([
        mo.ui.table(_summary, selection=None, label="Timeline",
                    format_mapping=fmt.units_for(_summary, fmt.TIMELINE_SUMMARY_UNITS)),
        mo.ui.table(_usage, selection=None, label="Angle usage (SQL)",
                    format_mapping=fmt.units_for(_usage, fmt.ANGLE_USAGE_UNITS)),
        mo.ui.table(_f["ad_slots"], selection=None, label="Ad slots", format_mapping=fmt.AD_SLOT_UNITS),
        mo.ui.table(_f["chapters"], selection=None, label="Chapters", format_mapping=fmt.CHAPTER_UNITS),
    ])
    return


@app.cell
def save_live_timeline(live_tl, profile, save_tl, set_refresh, settings, tl_inputs):
    mo.stop(not save_tl.value)
    with Catalog(settings.catalog_path) as _cat:
        _saved = save(_cat, tl_inputs, live_tl, profile)
    set_refresh(lambda n: n + 1)
    mo.md(f"Saved timeline `{_saved.timeline_id}` with profile **{_saved.profile_name}**; render uses it next.")
    return


@app.cell
def render_controls():
    render_btn = mo.ui.run_button(label="Render master")
    mo.vstack([mo.md("## Render"), render_btn])
    return (render_btn,)


@app.cell
def render_run(event_id, render_btn, settings):
    mo.stop(not render_btn.value)
    jobs_panel.submit(settings, "render", {"event": event_id})
    return


@app.cell
def render_view(event_id, get_jobs_done, media_url, settings):
    get_jobs_done()  # the newest finished render, once its job is done
    _r = jobs_panel.latest_result(settings, event_id, "render")
    mo.stop(_r is None or not _r.get("object_key"))
    mo.vstack([mo.md(f"Master: `{_r['object_key']}` ({fmt.duration(_r['duration_s'])}, {_r['ads']} ads)"),
               mo.Html(f'<video controls style="width:100%" src="{media_url}{_r["object_key"]}"></video>')
               if media_url else mo.md("")])
    return


@app.cell
def ad_products(event_id, get_refresh, settings):
    get_refresh()
    with Catalog(settings.catalog_path) as _cat:
        _products = products_repo.products_frame(_cat)
        _chosen = [p.id for p in products_repo.event_products(_cat, event_id)]
    _options = {fmt.product_label(r["title"], r["vendor"], r["price"], r["currency"]): r["id"]
                for r in _products.iter_rows(named=True)}
    # full width: the label sits above the control instead of wrapping a word per line beside it
    product_pick = mo.ui.multiselect(options=_options, value=[k for k, v in _options.items() if v in _chosen],
                                     label="Products in the ad breaks (cycled over the slots)", full_width=True)
    save_products = mo.ui.run_button(label="Save products")
    make_ads = mo.ui.run_button(label="Make ad previews")
    mo.vstack([mo.md("## Ads"), product_pick, mo.hstack([save_products, make_ads], justify="start")])
    return make_ads, product_pick, save_products


@app.cell
def products_import_form():
    products_csv = mo.ui.file(filetypes=[".csv"], max_size=MAX_UPLOAD_BYTES, label="Shopify product CSV")
    import_products = mo.ui.run_button(label="Import products")
    mo.vstack([mo.md("### Import sponsor products (a Shopify CSV; the imported ones become the event's products)"),
               mo.hstack([products_csv, import_products], justify="start")])
    return import_products, products_csv


@app.cell
def products_import_run(event_id, import_products, products_csv, set_refresh, settings):
    mo.stop(not import_products.value)
    mo.stop(not products_csv.value, mo.callout(mo.md("Choose a Shopify product CSV first."), kind="warn"))
    _upload = products_csv.value[0]
    with Catalog(settings.catalog_path) as _cat, mo.status.spinner(title=f"Importing {_upload.name}"):
        try:
            _report = import_products_upload(_cat, open_store(settings), settings, filename=_upload.name,
                                             contents=_upload.contents, event_id=event_id)
            _shown = mo.Html(import_summary_html(_report, filename=_upload.name))
        except AnchorError as _e:
            _shown = mo.callout(mo.md(html.escape(str(_e))), kind="danger")
    set_refresh(lambda n: n + 1)
    mo.output.replace(_shown)
    return


@app.cell
def ad_products_save(event_id, product_pick, save_products, set_refresh, settings):
    mo.stop(not save_products.value)
    with Catalog(settings.catalog_path) as _cat:
        products_repo.select_for_event(_cat, event_id, list(product_pick.value))
    set_refresh(lambda n: n + 1)
    return


@app.cell
def ad_previews_make(event_id, make_ads, settings):
    mo.stop(not make_ads.value)
    jobs_panel.submit(settings, "ads", {"event": event_id})
    return


@app.cell
def ads_preview(event_id, get_jobs_done, get_refresh, media_url, settings):
    get_refresh()
    get_jobs_done()
    with Catalog(settings.catalog_path) as _cat:
        _ads = list_ads(_cat, event_id)
    _items = []
    for _r in _ads.head(6).iter_rows(named=True):  # product titles are untrusted: escaped
        _items.append(mo.Html(ads_view.ad_card(_r)))  # backend, fallback reason, scene context, prompt
        if media_url:
            _items.append(mo.Html(f'<video controls style="width:480px" src="{media_url}'
                                  f'{html.escape(str(_r["object_key"]))}"></video>'))
    mo.vstack(_items if _ads.height else [mo.md("No ad clips yet: make previews or render.")])
    return


@app.cell
def reel_controls(settings):
    reel_query = mo.ui.text(label="Query", placeholder="empty = everything")
    reel_vibe = mo.ui.dropdown(options=sorted(VIBES), value="high_energy", label="Vibe")
    reel_len = mo.ui.slider(10, 60, step=5, value=30, label="Duration (s)")
    reel_btn = mo.ui.run_button(label="Make reel")
    reel_face = reel_form.face_input(settings)  # "find me", where the search takes image queries
    mo.vstack([mo.md("## Reels"), mo.hstack([reel_query, reel_vibe, reel_len, reel_btn], justify="start"),
               reel_face or mo.md("")])
    return reel_btn, reel_face, reel_len, reel_query, reel_vibe


@app.cell
def reel_run(event_id, reel_btn, reel_face, reel_len, reel_query, reel_vibe, settings):
    mo.stop(not reel_btn.value)
    try:
        _args = reel_form.reel_args(settings, event_id, query=reel_query.value, vibe=reel_vibe.value,
                                    duration_s=reel_len.value, face=reel_face)
    except AnchorError as _e:  # a "photo" that is not one
        mo.stop(True, mo.callout(mo.md(html.escape(str(_e))), kind="danger"))
    jobs_panel.submit(settings, "reel", _args)
    return


@app.cell
def reel_view(event_id, get_jobs_done, media_url, settings):
    get_jobs_done()  # the newest finished reel, once its job is done
    _r = jobs_panel.latest_result(settings, event_id, "reel")
    mo.stop(_r is None)
    _moments = pl.DataFrame([dict(m, duration_s=m["end_s"] - m["start_s"]) for m in _r["moments"]])
    mo.vstack([mo.md(f"Reel `{_r['reel_id']}`: {fmt.duration(_r['duration_s'])}"),
               mo.ui.table(_moments, selection=None, format_mapping=fmt.units_for(_moments, fmt.MOMENT_UNITS)),
               mo.Html(f'<video controls style="width:100%" src="{media_url}{_r["object_key"]}"></video>')
               if media_url else mo.md("")])
    return


if __name__ == "__main__":
    app.run()
