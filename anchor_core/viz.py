"""Plots for notebooks and reports (matplotlib, no UI library): plain functions that take
frames and return a Figure, so the workbench, the organizer app and the report share them."""

from __future__ import annotations

import html
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

ANGLE_COLOURS = {"wide": "#3b6fd8", "medium": "#7a5cd1", "closeup": "#2a9d57", "crowd": "#e07a1f",
                 "goal": "#c0392b", "stage": "#b5179e", "other": "#7f8c8d"}


MAX_CHAPTER_LABELS = 12
MAX_BEAT_TICKS = 1000


def timeline_figure(segments: pl.DataFrame, angles: pl.DataFrame, *, zooms: pl.DataFrame | None = None,
                    ad_slots: pl.DataFrame | None = None, chapters: pl.DataFrame | None = None,
                    beats: list[float] | None = None, title: str = "") -> Figure:
    """One lane per angle: segments as bars, zooms outlined, ad slots shaded, chapters and beats as
    ticks. A constant number of artists whatever the event's length, so a redraw stays fast. `segments`: start_ms, end_ms, video_id; `angles`: video_id, angle_type."""
    order = angles["video_id"].to_list()
    types = dict(zip(angles["video_id"].to_list(), angles["angle_type"].to_list(), strict=True))
    fig, ax = plt.subplots(figsize=(11, 0.6 * len(order) + 1.6))
    lanes: dict[str, list[tuple[float, float]]] = {}
    for vid, s0, s1 in zip(segments["video_id"].to_list(), segments["start_ms"].to_list(),
                           segments["end_ms"].to_list(), strict=True):
        lanes.setdefault(vid, []).append((s0 / 1000, (s1 - s0) / 1000))
    for vid, bars in lanes.items():  # one artist per lane: thousands of segments stay fast to draw
        if vid in order:
            y = order.index(vid)
            ax.broken_barh(bars, (y - 0.38, 0.76), color=ANGLE_COLOURS.get(types.get(vid, "other"), "#888"))
    if zooms is not None and zooms.height:  # one outline artist per lane, like the segments
        zl: dict[float, list[tuple[float, float]]] = {}
        for vid, z0, zd in zip(zooms["video_id"].to_list() if "video_id" in zooms.columns else [None] * zooms.height,
                               zooms["start_ms"].to_list(), zooms["duration_ms"].to_list(), strict=True):
            zy = float(order.index(vid)) if vid in order else -0.5
            zl.setdefault(zy, []).append((z0 / 1000, zd / 1000))
        for zy, bars in zl.items():
            ax.broken_barh(bars, (zy - 0.45, 0.9), facecolor="none", edgecolor="black", linewidth=0.9)
    if ad_slots is not None and ad_slots.height:
        ax.broken_barh([(r["timestamp_ms"] / 1000, r["duration_ms"] / 1000) for r in ad_slots.iter_rows(named=True)],
                       (-1.0, len(order) + 1.3), color="#f1c40f", alpha=0.35, lw=0)
    if chapters is not None and chapters.height:
        at = [t / 1000 for t in chapters["timestamp_ms"].to_list()]
        ax.vlines(at, -1.0, len(order) + 0.3, colors="#555", lw=1, linestyles="--")
        step = max(1, -(-len(at) // MAX_CHAPTER_LABELS))  # label every n-th so labels stay readable
        for t, name in list(zip(at, chapters["title"].to_list(), strict=True))[::step]:
            ax.text(t, len(order) - 0.4, " " + str(name)[:24], fontsize=8, va="bottom")
    if beats:  # more beats than pixels would only cost time: thin them to about one per pixel
        b = np.asarray(beats)[:: max(1, len(beats) // MAX_BEAT_TICKS)]
        ax.plot(b, np.full(len(b), -0.75), "|", color="#999", ms=6)
    ax.set_yticks(range(len(order)), [f"{types.get(v, '?')} ({v[-6:]})" for v in order])
    ax.set_ylim(-1.0, len(order) + 0.3)
    ax.set_xlabel("event time (s)")
    ax.set_title(title or "timeline")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def features_figure(feats: pl.DataFrame, angles: pl.DataFrame, column: str = "action_intensity") -> Figure:
    """A feature over event time, one line per angle (`feats` needs t_event_s)."""
    fig, ax = plt.subplots(figsize=(11, 3))
    types = dict(zip(angles["video_id"].to_list(), angles["angle_type"].to_list(), strict=True))
    for vid in angles["video_id"].to_list():
        sub = feats.filter(pl.col("video_id") == vid).sort("t_event_s")
        if sub.height:
            ax.step(sub["t_event_s"].to_numpy(), sub[column].to_numpy(), where="post", label=types.get(vid, vid),
                    color=ANGLE_COLOURS.get(types.get(vid, "other")))
    ax.set_xlabel("event time (s)")
    ax.set_ylabel(column)
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def _has_curve(d: dict[str, Any]) -> bool:
    return bool(d.get("lags_s")) and bool(d.get("corr"))


def _has_windows(d: dict[str, Any]) -> bool:
    return bool(d.get("window_t_s"))


def sync_plot_rows(details: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The angles worth a row in `sync_figure`: a stored correlation curve or drift windows.
    The reference angle (the clock) and angles synced by hand have neither."""
    return [d for d in details if not d.get("reference") and (_has_curve(d) or _has_windows(d))]


def sync_plot_note(details: list[dict[str, Any]]) -> str | None:
    """Why there is no sync plot, or None when `sync_figure` has something to draw. `details`
    as for `sync_figure`, with `reference: True` on the reference angle's entry."""
    if sync_plot_rows(details):
        return None
    if not details:
        return "No sync details are stored for this event: run `anchor sync EVENT` to measure them."
    others = [d for d in details if not d.get("reference")]
    if not [d for d in others if d.get("status") == "synced"]:
        return ("Only the reference angle is synced: it is the clock, so there is no correlation to plot. "
                + ("The table above says why the other angles are not." if others
                   else "Add and sync another angle to see one."))
    return ("No correlation lags are stored for the synced angles (set by hand or placed through another "
            "angle), so there is no correlation to plot; their offsets and drift are in the table above.")


def _empty_panel(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, fontsize=9, color="#666")
    ax.set_xticks([])
    ax.set_yticks([])


def sync_figure(details: list[dict[str, Any]]) -> Figure:
    """Correlation around the chosen peak per angle (lags_s, corr, peak_s) and the drift line
    (window_t_s, window_offset_s), for the angles `sync_plot_rows` keeps; a missing half of a
    row says so in words rather than showing empty axes. Check `sync_plot_note` first: with no
    rows left there is nothing to draw."""
    rows = sync_plot_rows(details)
    n = max(1, len(rows))
    fig, axes = plt.subplots(n, 2, figsize=(11, 2.2 * n), squeeze=False)
    if not rows:
        _empty_panel(axes[0][0], sync_plot_note(details) or "nothing to plot")
        axes[0][1].set_axis_off()
    for row, d in zip(axes, rows, strict=False):
        lags, corr = d.get("lags_s") or [], d.get("corr") or []
        row[0].set_title(f"{d.get('label', '')}: confidence {d.get('confidence', 0):.2f}", fontsize=9)
        if _has_curve(d):
            row[0].plot(lags, corr, lw=1)
            if d.get("peak_s") is not None:
                row[0].axvline(d["peak_s"], color="red", lw=1)
            row[0].set_xlabel("lag (s)")
        else:
            _empty_panel(row[0], "no correlation curve stored for this angle")
        wt, wo = d.get("window_t_s") or [], d.get("window_offset_s") or []
        if wt:
            row[1].plot(wt, np.asarray(wo) * 1000, "o", ms=3)
            if d.get("drift_ppm") is not None and d.get("offset_s") is not None:
                t = np.asarray(wt)
                row[1].plot(t, (d["offset_s"] + t * d["drift_ppm"] * 1e-6) * 1000, "-", lw=1)
            row[1].set_xlabel("recording time (s)")
            row[1].set_ylabel("offset (ms)")
        else:
            _empty_panel(row[1], "no drift windows stored")
    fig.tight_layout()
    return fig


def frame_to_html(df: pl.DataFrame, *, max_rows: int | None = None) -> str:
    """A complete, static HTML table (no scripts), escaped cell by cell."""
    rows = df.rows() if max_rows is None else df.head(max_rows).rows()
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in r) + "</tr>" for r in rows)
    return f'<table class="anchor-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.3f}"
    if v is None:
        return ""
    return str(v)


def figure_to_html(fig: Figure, *, dpi: int = 110, alt: str = "plot") -> str:
    """A figure as an inline PNG <img> (static HTML: renders offline and in any viewer)."""
    import base64
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"/>'
