"""The notebooks' job panel: every job of an event, read from the catalog each tick of a
`mo.ui.refresh`, with a marimo progress bar for the active ones and the outcome of the others.

The panel only reads: the work runs in `anchor worker` (which `anchor serve` starts), so a
closed tab loses nothing and a reopened one shows the same jobs. One implementation for the
organizer app and the workbench; the notebooks keep only their cells.
"""

from __future__ import annotations

import html
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import marimo as mo

from anchor_core.catalog import Catalog
from anchor_core.config import Settings
from anchor_core.errors import AnchorError
from anchor_core.jobs import Job, list_jobs, request_cancel, retry_job, submit_job

NO_WORKER_AFTER_S = 5.0  # a job queued this long while nothing runs: say how to start a worker
TICK = "1s"
LABELS = {"prepare": "Analyse", "generate": "Generate", "sync": "Sync", "analyze": "Analysis", "render": "Render",
          "ads": "Ad clips", "reel": "Reel", "timeline": "Timeline", "music": "Music"}


@dataclass(frozen=True)
class Snapshot:
    """One read of the catalog: the event's jobs (newest first), and whether anything runs at all."""

    jobs: tuple[Job, ...]
    now: datetime  # the catalog's clock, the one its timestamps were written with
    anything_running: bool
    home: Path

    def queued_unrun(self) -> list[Job]:
        """Queued for a while with no job running anywhere: no worker seems to be there."""
        if self.anything_running:
            return []
        return [j for j in self.jobs if j.status == "queued"
                and (self.now - j.updated_at).total_seconds() > NO_WORKER_AFTER_S]


def read(settings: Settings, event_id: str, *, limit: int = 12) -> Snapshot:
    """The event's jobs, in one short catalog open (other tabs and the worker share the file)."""
    with Catalog(settings.catalog_path) as cat:
        jobs = list_jobs(cat, event_id=event_id, limit=limit) if event_id else []
        running = bool(list_jobs(cat, status="running", limit=1))
        with cat.cursor() as cur:
            row = cur.execute("SELECT CAST(current_timestamp AS TIMESTAMP)").fetchone()
    now: datetime = row[0] if row else datetime.now()
    return Snapshot(tuple(jobs), now, running, settings.home)


def latest_result(settings: Settings, event_id: str, kind: str) -> dict[str, Any] | None:
    """The result of the event's newest done job of `kind` (e.g. the reel to show), however many
    other jobs came after it."""
    with Catalog(settings.catalog_path) as cat:
        done = list_jobs(cat, event_id=event_id, status="done", limit=500)
    return next((j.result for j in done if j.kind == kind), None)


def submit(settings: Settings, kind: str, args: dict[str, Any]) -> mo.Html:
    """Queue a job for the worker; a line saying which job runs it (an identical one is reused)."""
    try:
        with Catalog(settings.catalog_path) as cat:
            job, created = submit_job(cat, kind, args)
    except AnchorError as exc:
        return mo.callout(mo.md(html.escape(str(exc))), kind="danger")
    label = LABELS.get(kind, kind)
    said = "queued" if created else f"already {job.status}"
    return mo.md(f"{label}: {said} as job `{job.id}`; its progress is in the jobs panel.")


@dataclass
class Watch:
    """What this session's panel saw on its last tick, so it tells the output cells (by bumping
    a state) only when a job has newly finished, and the action buttons only when the set of
    jobs one can cancel or retry has changed. A mutable object of one session, never shared."""

    finished: set[str] | None = None
    actionable: tuple[tuple[str, str, str], ...] = ()
    last: Snapshot | None = None
    _seen: dict[str, str] = field(default_factory=dict)

    def tick(self, settings: Settings, event_id: str) -> tuple[Snapshot, frozenset[str], bool]:
        """Read the catalog and observe: (snapshot, kinds newly finished, buttons changed). When
        the catalog stays busy past its retries, the last snapshot is shown again (next tick reads)."""
        try:
            snap = read(settings, event_id)
        except AnchorError:
            if self.last is None:
                raise
            return self.last, frozenset(), False
        self.last = snap
        return (snap, *self.observe(snap))

    def observe(self, snap: Snapshot) -> tuple[frozenset[str], bool]:
        """(the kinds of the jobs newly finished, whether the actionable jobs changed) since the
        last tick. The first tick only records: what had finished before was already shown."""
        done = {j.id for j in snap.jobs if not j.active}
        first = self.finished is None
        newly = set() if first else {j.kind for j in snap.jobs if not j.active and (
            j.id not in (self.finished or set()) or self._seen.get(j.id) in ("queued", "running"))}
        self.finished = done
        self._seen = {j.id: j.status for j in snap.jobs}
        actionable = actionable_jobs(snap)
        changed = actionable != self.actionable
        self.actionable = actionable
        return frozenset(newly), changed


def show(watch: Watch, settings: Settings, event_id: str, *, set_jobs_done: Any,
         set_actionable: Any) -> tuple[mo.Html, frozenset[str]]:
    """One tick of a notebook's jobs cell: read, bump the done counter when a job newly finished,
    hand the buttons their new jobs when those changed; (the panel, the kinds newly done)."""
    snap, newly_done, buttons_changed = watch.tick(settings, event_id)
    if newly_done:
        set_jobs_done(lambda n: n + 1)
    if buttons_changed:
        set_actionable(watch.actionable)
    return panel(snap), newly_done


def actionable_jobs(snap: Snapshot) -> tuple[tuple[str, str, str], ...]:
    """(id, kind, status) of the jobs with a button: active ones (Cancel), failed or cancelled
    ones that no later job of the same kind has replaced (Retry)."""
    out, later = [], set()
    for j in snap.jobs:  # newest first
        if j.active or (j.status in ("failed", "cancelled") and j.kind not in later):
            out.append((j.id, j.kind, j.status))
        later.add(j.kind)
    return tuple(out)


def _bar(job: Job) -> str:
    """A marimo progress bar at the job's progress. Built in a helper thread: its update flushes
    the calling cell's output, and from the cell itself that would blank the panel every tick."""

    def build() -> str:
        bar: Any = mo.status.progress_bar(
            total=100, title=f"{LABELS.get(job.kind, job.kind)} · {job.status}", subtitle=job.message or job.status,
            show_rate=False, show_eta=False, disabled=True)
        bar.progress.update(increment=int(round(100 * job.progress)))
        return mo.as_html(bar.progress).text

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(build).result()


def _ago(snap: Snapshot, when: datetime | None) -> str:
    if when is None:
        return ""
    s = max(0, int((snap.now - when).total_seconds()))
    return f"{s} s ago" if s < 120 else f"{s // 60} min ago" if s < 7200 else f"{s // 3600} h ago"


def _found(value: Any, key: str) -> list[Any]:
    """Every `key` in a result, steps included (a `generate` result holds each step's result)."""
    if not isinstance(value, dict):
        return []
    here = [value[key]] if value.get(key) is not None else []
    return here + [v for k, sub in value.items() if k != key for v in _found(sub, key)]


def _outcome(job: Job) -> str:
    """One line for a done job, from its result (the dicts the CLI's --json prints)."""
    r = job.result or {}
    angles = next((a for a in _found(r, "angles") if isinstance(a, list)), None)
    bits = [f"{len(angles)} angle(s)"] if angles is not None else []
    bits += [f"{float(d):.0f} s" for d in _found(r, "duration_s")[:1] if isinstance(d, int | float)]
    bits += [f"<code>{html.escape(str(k))}</code>" for k in _found(r, "object_key")[-1:]]
    return " · ".join(bits)


def panel(snap: Snapshot) -> mo.Html:
    """The panel's output: a warning when no worker runs, then each job (newest first)."""
    rows: list[Any] = []
    waiting = snap.queued_unrun()
    if waiting:
        rows.append(mo.callout(mo.md(
            f"**No worker seems to be running**: {len(waiting)} job(s) queued for more than "
            f"{NO_WORKER_AFTER_S:g} s and nothing runs them. `anchor serve` starts one (unless `--no-worker`); "
            f"for a separate worker run `anchor --home {html.escape(str(snap.home))} worker`."), kind="warn"))
    if not snap.jobs:
        rows.append(mo.md("No jobs for this event yet."))
    for j in snap.jobs:
        ident = f"<code class='anchor-job-id'>{html.escape(j.id)}</code>"
        label = html.escape(LABELS.get(j.kind, j.kind))
        attrs = f"class='anchor-job' data-job-id='{html.escape(j.id)}' data-status='{j.status}'"
        if j.active:
            rows.append(mo.Html(f"<div {attrs}>{_bar(j)}<small>{ident} · {j.status} · "
                                f"{html.escape(j.message)} · attempt {j.attempts}/{j.max_attempts}</small></div>"))
        elif j.status == "done":
            rows.append(mo.Html(f"<div {attrs}>✅ <b>{label}</b> done {_ago(snap, j.extra.get('finished_at'))} · "
                                f"{_outcome(j)} {ident}</div>"))
        elif j.status == "failed":
            why = html.escape(j.error or "no reason recorded")
            red = mo.callout(mo.md(f"**{label} failed** ({j.id}): {why}"), kind="danger")
            rows.append(mo.Html(f"<div {attrs}>{mo.as_html(red).text}</div>"))
        else:
            rows.append(mo.Html(f"<div {attrs}>⏹ <b>{label}</b> cancelled {_ago(snap, j.updated_at)} {ident}</div>"))
    return mo.vstack(rows)


def actions(settings: Settings, actionable: tuple[tuple[str, str, str], ...]) -> Any:
    """Cancel and Retry buttons as one `mo.ui.array`, which the cell must assign to a global (marimo
    sends a click only to an element bound to one) and show with `.hstack()`. In a cell of its own
    that re-runs only when `actionable` changes: a button re-created every tick could swallow a click."""

    def cancel(job_id: str) -> None:
        with Catalog(settings.catalog_path) as cat:
            request_cancel(cat, job_id)

    def retry(job_id: str) -> None:
        with Catalog(settings.catalog_path) as cat:
            retry_job(cat, job_id)

    def on_click(fn: Any, job_id: str) -> Any:
        def click(_value: Any) -> str:
            try:
                fn(job_id)
                return ""
            except AnchorError as exc:  # e.g. it finished meanwhile: said, not raised
                return str(exc)

        return click

    buttons = []
    for job_id, kind, status in actionable:
        label = LABELS.get(kind, kind)
        if status in ("queued", "running"):
            buttons.append(mo.ui.button(label=f"Cancel {label} ({job_id[-6:]})", kind="danger",
                                        on_click=on_click(cancel, job_id)))
        else:
            buttons.append(mo.ui.button(label=f"Retry {label} ({job_id[-6:]})", kind="warn",
                                        on_click=on_click(retry, job_id)))
    return mo.ui.array(buttons)
