import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium", app_title="Anchor event report")

with app.setup:
    import json

    import marimo as mo
    import polars as pl

    from anchor_core import fmt, viz
    from anchor_core.analysis import event_features
    from anchor_core.catalog import Catalog
    from anchor_core.catalog import events as events_repo
    from anchor_core.catalog import products as products_repo
    from anchor_core.catalog import videos as videos_repo
    from anchor_core.errors import NotFoundError
    from anchor_core.nbparams import notebook_params
    from anchor_core.reels import list_reels
    from anchor_core.render import list_renders
    from anchor_core.sync import load_angles, sync_details
    from anchor_core.timeline import angle_usage, load_latest_timeline, timeline_profile


@app.cell
def params():
    _mode = mo.app_meta().mode
    event_id, settings, _ = notebook_params(_mode, mo.cli_args, mo.query_params)
    return event_id, settings


@app.cell
def catalog_frames(event_id, settings):
    # Only the stages' read models: the report sees exactly what the render and exports saw.
    _cat = Catalog(settings.catalog_path)
    try:
        try:
            _e = events_repo.get_event(_cat, event_id)
            event = pl.DataFrame([{"id": _e.id, "name": _e.name, "event_type": _e.event_type, "status": _e.status}])
        except NotFoundError:
            event = pl.DataFrame()
        videos = videos_repo.videos_frame(_cat, event_id) if event.height else pl.DataFrame()
        probes = {v.id: v.probe for v in videos_repo.list_videos(_cat, event_id)} if event.height else {}
        details = sync_details(_cat, event_id) if event.height else {}
        angles = load_angles(_cat, event_id, require_synced=False) if event.height else None
        feats = event_features(_cat, angles.synced).frame if angles and angles.synced else pl.DataFrame()
        try:
            timeline = load_latest_timeline(_cat, event_id)
            profile = timeline_profile(_cat, timeline.timeline_id)
        except NotFoundError:
            timeline, profile = None, None
        # Every output of the event in one table: the master and ad renders, then the reels.
        outputs = pl.concat([
            list_renders(_cat, event_id).select(
                "kind", "id", "duration_s", pl.lit(None, pl.Utf8).alias("query"), pl.lit(None, pl.Utf8).alias("vibe"),
                "object_key", "created_at"),
            list_reels(_cat, event_id).select(
                pl.lit("reel").alias("kind"), "id", "duration_s",
                pl.when(pl.col("query").fill_null("") == "").then(pl.lit("(everything)")).otherwise("query")
                .alias("query"), "vibe", "object_key", "created_at"),
        ], how="vertical_relaxed").sort("created_at") if event.height else pl.DataFrame()
        sponsors = pl.DataFrame(
            [{"title": p.title, "vendor": p.vendor, "price": p.price, "currency": p.currency}
             for p in products_repo.event_products(_cat, event_id)],
            schema={"title": pl.Utf8, "vendor": pl.Utf8, "price": pl.Float64, "currency": pl.Utf8},
        ) if event.height else pl.DataFrame()
    finally:
        _cat.close()
    return details, event, feats, outputs, probes, profile, sponsors, timeline, videos


@app.cell
def title(event, event_id):
    mo.stop(event.height == 0, mo.md(f"**No event `{event_id}`.** Pass `--event ID` (and `--home DIR`)."))
    _e = event.row(0, named=True)
    mo.md(f"# {_e['name']}\n\n{_e['event_type']} event `{_e['id']}`, status **{_e['status']}**")
    return


@app.cell
def inputs_section(probes, videos):
    _rows = []
    for _r in videos.iter_rows(named=True):
        _p = probes.get(_r["video_id"]) or {}
        _v, _a = _p.get("video") or {}, _p.get("audio") or {}
        _rows.append({"video_id": _r["video_id"], "angle": _r["angle_type"], "file": _r["original_name"],
                      "duration": _r["duration_s"], "size": f"{_v.get('width')}x{_v.get('height')}",
                      "rotation": f"{_v.get('rotation') or 0}°", "fps": _v.get("real_fps"), "vfr": _v.get("vfr"),
                      "audio": f"{_a.get('sample_rate')} Hz x{_a.get('channels')}" if _a else "none"})
    _inputs = fmt.table_for_display(pl.DataFrame(_rows), {"duration": fmt.duration, "fps": fmt.fps}) if _rows else None
    mo.vstack([mo.md("## Inputs and their probes"),
               mo.Html(viz.frame_to_html(_inputs)) if _inputs is not None else mo.md("No angles yet.")])
    return


@app.cell
def sync_section(details, videos):
    _table = videos.select("video_id", "angle_type", "is_reference", "sync_offset_s", "sync_drift_ppm",
                           "sync_confidence", "sync_status", "sync_reason")
    _parts = [mo.md("## Sync quality"), mo.Html(viz.frame_to_html(fmt.table_for_display(
        _table, fmt.SYNC_UNITS, names={**fmt.SYNC_NAMES, "angle_type": "angle", "is_reference": "reference"})))]
    _d = [dict(details[_v], label=f"{_t} ({_v[-6:]})", reference=bool(_ref))
          for _v, _t, _ref in videos.select("video_id", "angle_type", "is_reference").iter_rows() if _v in details]
    _note = viz.sync_plot_note(_d)  # one synced angle, or no lags stored: say so, never an empty chart
    _parts += [mo.md(_note)] if _note else [
        mo.Html(viz.figure_to_html(viz.sync_figure(_d), alt="sync")),
        mo.md("Each row is one angle against the reference (the clock): the correlation around the chosen lag, "
              "then the offset measured along the recording with the fitted drift line.")]
    mo.vstack(_parts)
    return


@app.cell
def features_section(feats, videos):
    mo.stop(feats.height == 0, mo.md("## Features\n\nNot analysed yet."))
    _f = feats  # already in event time
    _angles = videos.select("video_id", "angle_type")
    _summary = feats.group_by("video_id").agg(
        pl.len().alias("windows"), pl.col("action_intensity").mean().round(2).alias("mean_action"),
        pl.col("action_intensity").max().round(2).alias("max_action"), pl.col("scene_cut").sum().alias("cuts"),
        pl.col("speech").mean().round(2).alias("mean_speech"), pl.col("crowd_energy").mean().round(2).alias("mean_crowd"),
        pl.col("key_moment").sum().alias("key_moments")).sort("video_id")
    mo.vstack([mo.md("## Feature overview"),
               mo.Html(viz.frame_to_html(fmt.table_for_display(_summary, fmt.FEATURE_SUMMARY_UNITS))),
               mo.Html(viz.figure_to_html(viz.features_figure(_f, _angles, "action_intensity"), alt="action_intensity")),
               mo.Html(viz.figure_to_html(viz.features_figure(_f, _angles, "crowd_energy"), alt="crowd_energy")),
               mo.Html(viz.figure_to_html(viz.features_figure(_f, _angles, "speech"), alt="speech"))])
    return


@app.cell
def timeline_section(event, timeline, videos):
    mo.stop(timeline is None, mo.md("## Timeline\n\nNo timeline built yet."))
    _f = timeline.frames()
    _title = f"{event['name'][0]} · timeline ({timeline.strategy})"
    _fig = viz.timeline_figure(_f["segments"], videos.select("video_id", "angle_type"), zooms=_f["zooms"],
                               ad_slots=_f["ad_slots"], chapters=_f["chapters"], title=_title)
    _segments = _f["segments"].with_columns(((pl.col("end_ms") - pl.col("start_ms")) / 1000).alias("length_s"))
    mo.vstack([
        mo.md(f"## Timeline\n\n{len(timeline.segments)} segments over {fmt.duration(timeline.duration_s)}, strategy "
              f"**{timeline.strategy}**, beat-synced: {timeline.beat_synced}, heard through "
              f"`{timeline.audio_master or 'the best-covering microphone'}`, inputs hash `{timeline.inputs_hash}`"
              + (f"; left out (not synced): {', '.join(timeline.unsynced)}" if timeline.unsynced else "")),
        mo.Html(viz.figure_to_html(_fig, alt="timeline")),
        mo.md("### Angle usage"),
        mo.Html(viz.frame_to_html(fmt.table_for_display(angle_usage(_f["segments"]), fmt.ANGLE_USAGE_UNITS,
                                                        names=fmt.ANGLE_USAGE_NAMES))),
        mo.md("### Segments"),
        mo.Html(viz.frame_to_html(fmt.table_for_display(
            _segments, {**fmt.SEGMENT_UNITS, "length_s": lambda x: fmt.seconds(x, places=1)},
            names={"start_ms": "start", "end_ms": "end", "length_s": "length"}))),
    ])
    return


@app.cell
def profile_section(profile, timeline):
    mo.stop(timeline is None or profile is None)
    mo.vstack([mo.md(f"## Profile used: {profile.name} v{profile.version}"),
               mo.Html(f"<pre>{json.dumps(profile.to_dict(), indent=2)}</pre>")])
    return


@app.cell
def slots_section(outputs, sponsors, timeline):
    _f = timeline.frames() if timeline is not None else {}
    _ads, _chapters = _f.get("ad_slots", pl.DataFrame()), _f.get("chapters", pl.DataFrame())
    _sponsors = sponsors.with_columns(
        pl.struct("price", "currency").map_elements(lambda r: fmt.money(r["price"], r["currency"]),
                                                    return_dtype=pl.Utf8).alias("price")
    ).drop("currency") if sponsors.height else sponsors
    mo.vstack([
        mo.md("## Ad slots"),
        mo.Html(viz.frame_to_html(fmt.table_for_display(
            _ads, fmt.AD_SLOT_UNITS, names={"timestamp_ms": "at", "duration_ms": "length"}))) if _ads.height
        else mo.md("None."),
        mo.md("## Sponsor products"),
        mo.Html(viz.frame_to_html(fmt.table_for_display(_sponsors))) if _sponsors.height else mo.md("None chosen."),
        mo.md("## Chapters"),
        mo.Html(viz.frame_to_html(fmt.table_for_display(_chapters, fmt.CHAPTER_UNITS, names={"timestamp_ms": "at"})))
        if _chapters.height else mo.md("None."),
        mo.md("## Outputs"),
        mo.Html(viz.frame_to_html(fmt.table_for_display(
            outputs, fmt.OUTPUT_UNITS, names={"duration_s": "duration", "object_key": "key", "created_at": "made"})))
        if outputs.height else mo.md("None yet."),
    ])
    return


if __name__ == "__main__":
    app.run()
