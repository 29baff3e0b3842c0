"""Long-running jobs (analysis, render, reel) with progress, readable from any notebook session."""

from __future__ import annotations

import polars as pl

from .db import Catalog
from .ids import new_id


def start_job(cat: Catalog, kind: str, event_id: str | None = None) -> str:
    job_id = new_id("job")
    with cat.transaction() as cur:
        cur.execute(
            "INSERT INTO jobs (id, event_id, kind, status) VALUES (?, ?, ?, 'running')", [job_id, event_id, kind]
        )
    return job_id


def update_job(cat: Catalog, job_id: str, progress: float, message: str = "") -> None:
    with cat.transaction() as cur:
        cur.execute(
            "UPDATE jobs SET progress = ?, message = ?, updated_at = now() WHERE id = ?",
            [max(0.0, min(1.0, progress)), message, job_id],
        )


def finish_job(cat: Catalog, job_id: str, *, error: str | None = None) -> None:
    with cat.transaction() as cur:
        cur.execute(
            "UPDATE jobs SET status = ?, progress = CASE WHEN ? IS NULL THEN 1 ELSE progress END,"
            " error = ?, updated_at = now() WHERE id = ?",
            ["failed" if error else "done", error, error, job_id],
        )


def jobs_frame(cat: Catalog, event_id: str | None = None) -> pl.DataFrame:
    if event_id:
        return cat.frame("SELECT * FROM jobs WHERE event_id = ? ORDER BY created_at", [event_id])
    return cat.frame("SELECT * FROM jobs ORDER BY created_at")
