"""Timeline statistics by SQL (DuckDB over the timeline's polars frames): what the notebook's
profile editor and the report show next to the plot."""

from __future__ import annotations

import duckdb
import polars as pl


def _query(sql: str, **frames: pl.DataFrame) -> pl.DataFrame:
    con = duckdb.connect()
    try:
        for name, f in frames.items():
            con.register(name, f.to_arrow())
        return con.execute(sql).pl()
    finally:
        con.close()


def angle_usage(segments: pl.DataFrame) -> pl.DataFrame:
    """Per angle: shots, share of the event, mean/min/max shot length, mean score."""
    if segments.height == 0:
        return pl.DataFrame()
    return _query(
        """
        SELECT video_id, any_value(angle_type) AS angle_type, count(*) AS shots,
               round(100.0 * sum(end_ms - start_ms) / (SELECT sum(end_ms - start_ms) FROM segs), 1) AS share_pct,
               round(avg(end_ms - start_ms) / 1000.0, 2) AS mean_shot_s,
               round(min(end_ms - start_ms) / 1000.0, 2) AS min_shot_s,
               round(max(end_ms - start_ms) / 1000.0, 2) AS max_shot_s,
               round(avg(score), 1) AS mean_score
        FROM segs GROUP BY video_id ORDER BY share_pct DESC, video_id
        """, segs=segments)


def timeline_summary(segments: pl.DataFrame, zooms: pl.DataFrame, ad_slots: pl.DataFrame,
                     chapters: pl.DataFrame) -> pl.DataFrame:
    """One row: cuts, shot-length quantiles, zooms, ad slots with their scores, chapters."""
    if segments.height == 0:
        return pl.DataFrame()
    return _query(
        """
        SELECT count(*) AS segments, count(*) - 1 AS cuts,
               round(median(end_ms - start_ms) / 1000.0, 2) AS median_shot_s,
               round(quantile_cont(end_ms - start_ms, 0.9) / 1000.0, 2) AS p90_shot_s,
               (SELECT count(*) FROM zooms) AS zooms,
               (SELECT count(*) FROM ads) AS ad_slots,
               (SELECT coalesce(round(avg(score), 1), 0) FROM ads) AS mean_ad_score,
               (SELECT count(*) FROM chapters) AS chapters
        FROM segs
        """, segs=segments, zooms=zooms, ads=ad_slots, chapters=chapters)
