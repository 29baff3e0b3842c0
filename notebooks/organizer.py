import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Anchor — event")

with app.setup:
    import html

    import marimo as mo
    import polars as pl

    from anchor_app import jobs_panel, paid_work, reel_form
    from anchor_app.uploader import Uploader, choices_for
    from anchor_core import fmt
    from anchor_core.catalog import Catalog
    from anchor_core.catalog import events as events_repo
    from anchor_core.catalog import products as products_repo
    from anchor_core.catalog import videos as videos_repo
    from anchor_core.catalog.status import ANGLE_TYPES
    from anchor_core.errors import AnchorError, NotFoundError
    from anchor_core.nbparams import notebook_params
    from anchor_core.products_upload import MAX_UPLOAD_BYTES, import_products_upload, import_summary_html
    from anchor_core.reels import VIBES
    from anchor_core.render import latest_master
    from anchor_core.store import open_store
    from anchor_core.timeline import load_latest_timeline


@app.cell
def params():
    _mode = mo.app_meta().mode
    event_id, settings, media_url = notebook_params(_mode, mo.cli_args, mo.query_params)
    get_refresh, set_refresh = mo.state(0)  # bumped after an import, so the sponsor list re-reads
    # The job panel bumps `jobs_done` when it sees a job newly finished (the master and the reel
    # re-read then) and sets `actionable` when the jobs with a Cancel or Retry button change.
    get_jobs_done, set_jobs_done = mo.state(0)
    get_actionable, set_actionable = mo.state(())
    job_watch = jobs_panel.Watch()
    return (event_id, get_actionable, get_jobs_done, get_refresh, job_watch, media_url, set_actionable,
            set_jobs_done, set_refresh, settings)


@app.cell
def pick_event(event_id, settings):
    # Not refreshed: the import cell below depends on `current` and bumps the refresh, so it must
    # not re-run itself through it.
    with Catalog(settings.catalog_path) as _cat:
        _events = events_repo.list_events(_cat)
    event = _events.filter(pl.col("id") == event_id) if event_id else _events.head(1)
    current = event["id"][0] if event.height else ""
    return current, event


@app.cell
def load_event(current, get_jobs_done, get_refresh, settings):
    get_refresh()
    get_jobs_done()
    # Open the catalog only for the moment it is needed: other tabs and jobs share the file.
    with Catalog(settings.catalog_path) as _cat:
        master = latest_master(_cat, current) if current else None
        try:
            chapters = [(c.timestamp_ms, c.title) for c in load_latest_timeline(_cat, current).chapters]
        except NotFoundError:
            chapters = []
        products = products_repo.products_frame(_cat)
        chosen = [p.id for p in products_repo.event_products(_cat, current)] if current else []
    return chapters, chosen, master, products


@app.cell
def status(current, event, get_jobs_done, settings):
    mo.stop(not current, mo.md("## No event yet\n\nRun `anchor demo` or create an event first."))
    _row = event
    if get_jobs_done():  # a job finished: the event's status moved on (analysed, rendered)
        with Catalog(settings.catalog_path) as _cat:
            _row = events_repo.list_events(_cat).filter(pl.col("id") == current)
    _e = _row.row(0, named=True)
    mo.md(f"# {_e['name']}\n\n**{_e['event_type'].title()}** · status **{_e['status']}** · {_e['videos']} camera angles")
    return


@app.cell
def upload_form(current):
    mo.stop(not current)
    # The widget sends the files to `anchor serve` (or S3) itself, in parts: none of it passes
    # through this kernel, so a 2.5 GB phone file is fine.
    uploader = mo.ui.anywidget(Uploader(
        event_id=current, choices=choices_for(ANGLE_TYPES),
        hint="Phone and camera files of any size. If the connection drops or the tab is closed, "
             "pick the same file again: the upload goes on where it stopped."))
    mo.vstack([mo.md("## Add footage and music"), uploader])
    return (uploader,)


@app.cell
def upload_results(current, settings, uploader):
    _results = uploader.value["results"]
    mo.stop(not _results)
    _lines = [f"- **{html.escape(r['file'])}**: refused — {html.escape(r['error'])}" if "error" in r else
              f"- **{html.escape(r['file'])}**: {'added' if r['created'] else 'already in the event'} "
              f"as {html.escape(r.get('angle_type') or 'music')} `{r['id']}`" for r in _results]
    with Catalog(settings.catalog_path) as _cat:
        _angles = videos_repo.videos_frame(_cat, current).select("original_name", "angle_type", "status",
                                                                 "duration_s")
    mo.vstack([mo.md("\n".join(_lines)),
               mo.ui.table(_angles, selection=None, label="Angles in this event",
                           format_mapping=fmt.units_for(_angles, fmt.VIDEO_UNITS))])
    return


@app.cell
def sponsor_picker(chosen, products):
    _options = {fmt.product_label(r["title"], r["vendor"], r["price"], r["currency"]): r["id"]
                for r in products.iter_rows(named=True)}
    # full width puts the label above the control: beside it, the chosen products squeezed it
    # to one word per line
    picker = mo.ui.multiselect(options=_options, value=[k for k, v in _options.items() if v in chosen],
                               label="Sponsor products shown in the ad breaks", full_width=True)
    save = mo.ui.run_button(label="Save sponsors")
    mo.vstack([mo.md("## Sponsors"), picker, save])
    return picker, save


@app.cell
def products_import_form():
    products_csv = mo.ui.file(filetypes=[".csv"], max_size=MAX_UPLOAD_BYTES, label="Shopify product CSV")
    import_products = mo.ui.run_button(label="Import products")
    mo.vstack([mo.md("### Add products from Shopify"),
               mo.md("Export your products from Shopify (Products → Export → CSV) and upload the file here. "
                     "The products it imports become this event's sponsors."),
               mo.hstack([products_csv, import_products], justify="start")])
    return import_products, products_csv


@app.cell
def products_import_run(current, import_products, products_csv, set_refresh, settings):
    mo.stop(not import_products.value)
    mo.stop(not products_csv.value, mo.callout(mo.md("Choose a Shopify product CSV first."), kind="warn"))
    _upload = products_csv.value[0]
    with mo.status.spinner(title=f"Importing {_upload.name}…"), Catalog(settings.catalog_path) as _cat:
        try:
            _report = import_products_upload(_cat, open_store(settings), settings, filename=_upload.name,
                                             contents=_upload.contents, event_id=current or None)
            _shown = mo.Html(import_summary_html(_report, filename=_upload.name))
        except AnchorError as _e:
            _shown = mo.callout(mo.md(html.escape(str(_e))), kind="danger")
    set_refresh(lambda n: n + 1)
    mo.output.replace(_shown)
    return


@app.cell
def save_sponsors(current, picker, save, settings):
    mo.stop(not save.value)
    with Catalog(settings.catalog_path) as _cat:
        products_repo.select_for_event(_cat, current, list(picker.value))
    mo.md(f"Saved {len(picker.value)} sponsor product(s). They appear in the next render.")
    return


@app.cell
def shopify(current, settings):
    # Connect a Shopify store, follow its product sync, pick the event's sponsors from the grid.
    from anchor_app.shopify_panel import shopify_panel as _shopify_panel

    shopify_view = _shopify_panel(settings, current)
    mo.vstack([mo.md("## Shopify"), shopify_view])
    return (shopify_view,)


@app.cell
def flow_controls(current, settings):
    mo.stop(not current)
    analyse = mo.ui.run_button(label="Analyse")
    generate = mo.ui.run_button(label="Generate")
    # paid services show what a button would spend and wait for a tick (the CLI asks for --yes)
    _cost = paid_work.analysis_cost(settings, current)
    confirm_analysis = mo.ui.checkbox(label=paid_work.analysis_label(_cost)) if _cost else None
    confirm_ads = (mo.ui.checkbox(label="Generate the sponsors' ad clips with Veo (billed per second; "
                                        "unticked, the ad breaks show the local clips)")
                   if paid_work.ads_paid(settings) else None)
    mo.vstack([mo.md("## Make the video"),
               mo.md("1. **Analyse** syncs the angles by their sound and measures every moment of them.\n"
                     "2. **Generate** builds the edit, makes the sponsors' ad clips and renders the master.\n\n"
                     "Both run in the background: close the tab if you like, the jobs below go on."),
               mo.hstack([analyse, generate], justify="start"),
               *[c for c in (confirm_analysis, confirm_ads) if c is not None]])
    return analyse, confirm_ads, confirm_analysis, generate


@app.cell
def analyse_submit(analyse, confirm_analysis, current, settings):
    mo.stop(not analyse.value)
    mo.stop(confirm_analysis is not None and not confirm_analysis.value,
            mo.callout(mo.md("Tick the cost line first: this analysis is billed by TwelveLabs."), kind="warn"))
    jobs_panel.submit(settings, "prepare", {"event": current})
    return


@app.cell
def generate_submit(confirm_ads, current, generate, settings):
    mo.stop(not generate.value)
    _paid = confirm_ads is not None and bool(confirm_ads.value)
    jobs_panel.submit(settings, "generate", {"event": current, **({"yes": True} if _paid else {})})
    return


@app.cell
def job_ticker(current):
    mo.stop(not current)
    job_tick = mo.ui.refresh(options=["1s", "5s"], default_interval=jobs_panel.TICK, label="Jobs, live")
    mo.hstack([mo.md("## Jobs"), job_tick], justify="start", align="center")
    return (job_tick,)


@app.cell
def job_list(current, job_tick, job_watch, set_actionable, set_jobs_done, settings):
    _ = job_tick.value  # re-read the catalog on every tick
    _view, _ = jobs_panel.show(job_watch, settings, current, set_jobs_done=set_jobs_done,
                               set_actionable=set_actionable)
    mo.output.replace(_view)
    return


@app.cell
def job_actions(get_actionable, settings):
    job_buttons = jobs_panel.actions(settings, get_actionable())
    job_buttons.hstack(justify="start")
    return (job_buttons,)


@app.cell
def watch(chapters, master, media_url):
    mo.stop(master is None, mo.md("## Master video\n\nNot made yet: press **Analyse**, then **Generate**."))
    _key = master["object_key"]
    _rows = "".join(
        f"<li><code>{fmt.clock_ms(r[0], places=0)}</code> {html.escape(str(r[1]))}</li>"
        for r in chapters
    )
    _player = (mo.Html(f'<video controls preload="metadata" style="width:100%" src="{media_url}{_key}"></video>')
               if media_url else mo.md(f"`{_key}`"))
    mo.vstack([mo.md("## Master video"), _player, mo.Html(f"<ol>{_rows}</ol>") if _rows else mo.md("")])
    return


@app.cell
def reel_form(settings):
    query = mo.ui.text(label="Find", placeholder="e.g. cheer, commentary — empty for everything")
    vibe = mo.ui.dropdown(options=sorted(VIBES), value="high_energy", label="Vibe")
    duration = mo.ui.slider(10, 60, step=5, value=30, label="Length (s)")
    make = mo.ui.run_button(label="Make my reel")
    face_photo = reel_form.face_input(settings)  # "find me", where the search takes image queries
    mo.vstack([mo.md("## Your highlight reel"), mo.hstack([query, vibe, duration]),
               face_photo or mo.md(""), make])
    return duration, face_photo, make, query, vibe


@app.cell
def reel(current, duration, face_photo, make, query, settings, vibe):
    mo.stop(not make.value)
    try:
        _args = reel_form.reel_args(settings, current, query=query.value, vibe=vibe.value,
                                    duration_s=duration.value, face=face_photo)
    except AnchorError as _e:  # a "photo" that is not one
        mo.stop(True, mo.callout(mo.md(html.escape(str(_e))), kind="danger"))
    jobs_panel.submit(settings, "reel", _args)
    return


@app.cell
def reel_view(current, get_jobs_done, media_url, settings):
    get_jobs_done()  # the newest finished reel, once its job is done
    _r = jobs_panel.latest_result(settings, current, "reel") if current else None
    mo.stop(_r is None)
    _player = (mo.Html(f'<video controls style="width:100%" src="{media_url}{_r["object_key"]}"></video>')
               if media_url else mo.md(f"`{_r['object_key']}`"))
    mo.vstack([mo.md(f"Reel ready: {fmt.duration(_r['duration_s'], places=0)} from {len(_r['moments'])} moments."),
               _player])
    return


if __name__ == "__main__":
    app.run()
