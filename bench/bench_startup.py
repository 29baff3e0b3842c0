"""Start-up benchmark: how long the `anchor` command takes before it does any work.

Times, over repeated runs each (after one warm-up run), a bare interpreter, `anchor --help`
(no stage may be imported) and `anchor --home TMP event list` on a catalog holding one event
(needs the catalog: duckdb, and polars to print the table). Then, from one run with
PYTHONPROFILEIMPORTTIME, the imports that cost the most.

Run: python -m bench startup   (ANCHOR_BENCH_STARTUP_RUNS sets the runs per command; default 9)
Target: each anchor command ≤ 0.3 s of wall time more than the baseline (median).
Baseline: `python -c pass` with the same interpreter, measured in the same run.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_EXCESS_S = 0.3
TOP_IMPORTS = 6


def anchor_command() -> list[str]:
    """The installed `anchor` script next to this interpreter, else `python -m anchor_core.cli`."""
    script = Path(sys.executable).with_name("anchor")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "anchor_core.cli"]


def run_once(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (user + system of the child) and stderr of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stderr


def timed(cmd: list[str], cwd: Path, runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds over `runs` runs, after one warm-up run (bytecode, disk cache)."""
    run_once(cmd, cwd)
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu, _err = run_once(cmd, cwd)
        walls.append(wall)
        cpus.append(cpu)
    return statistics.median(walls), statistics.median(cpus)


def top_imports(cmd: list[str], cwd: Path, n: int = TOP_IMPORTS) -> list[tuple[str, float]]:
    """The top-level imports (not nested in another) with the largest cumulative time, in seconds."""
    _wall, _cpu, err = run_once(cmd, cwd, env=dict(os.environ, PYTHONPROFILEIMPORTTIME="1"))
    found: list[tuple[str, float]] = []
    for line in err.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| ( *)(\S+)", line)
        if m and m.group(2) == "" and m.group(3) not in ("site", "encodings"):
            found.append((m.group(3), int(m.group(1)) / 1e6))
    return sorted(found, key=lambda x: -x[1])[:n]


def main() -> None:
    runs = int(os.environ.get("ANCHOR_BENCH_STARTUP_RUNS", "9"))
    anchor = anchor_command()
    tmp = Path(tempfile.mkdtemp(prefix="anchor-bench-startup-"))
    try:
        home = tmp / "home"
        run_once([*anchor, "--home", str(home), "-q", "event", "create", "Startup bench", "--type", "sports"], tmp)
        commands = [
            ("python -c pass (baseline)", [sys.executable, "-c", "pass"]),
            ("anchor --help", [*anchor, "--help"]),
            ("anchor --home TMP event list", [*anchor, "--home", str(home), "event", "list"]),
        ]
        print(f"start-up, median of {runs} runs after 1 warm-up; Python {sys.version.split()[0]}, "
              f"anchor = {' '.join(anchor)}")
        print(f"  {'command':30s} {'wall s':>7s} {'cpu s':>7s} {'excess s':>9s}  target ≤ {TARGET_EXCESS_S} s excess")
        results = {label: timed(cmd, tmp, runs) for label, cmd in commands}
        base_wall, _ = results[commands[0][0]]
        met = {}
        for label, (wall, cpu) in results.items():
            if label == commands[0][0]:
                print(f"  {label:30s} {wall:7.3f} {cpu:7.3f} {'—':>9s}")
                continue
            excess = wall - base_wall
            met[label] = excess <= TARGET_EXCESS_S
            print(f"  {label:30s} {wall:7.3f} {cpu:7.3f} {excess:9.3f}  {'PASS' if met[label] else 'FAIL'}"
                  f"  ({wall / base_wall:.1f}x the baseline)")
        for label, cmd in commands[1:]:
            top = ", ".join(f"{name} {s * 1000:.0f} ms" for name, s in top_imports(cmd, tmp))
            print(f"  heaviest imports of `{label}` (one run, -X importtime): {top}")
        print(f"  target: every anchor command ≤ {TARGET_EXCESS_S} s over `python -c pass` → "
              f"{'PASS' if all(met.values()) else 'FAIL: ' + ', '.join(k for k, v in met.items() if not v)}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
