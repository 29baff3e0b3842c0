"""The README's test command runs every test on a fresh machine: the browser tests find (or
install) chromium, or `make test` stops saying how, instead of skipping them."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_make_test_checks_for_chromium_before_the_suite():
    plan = subprocess.run(["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    lines = plan.splitlines()
    ensure = next(i for i, ln in enumerate(lines) if "scripts/ensure-chromium" in ln)
    suite = next(i for i, ln in enumerate(lines) if "pytest" in ln)
    assert ensure < suite


def test_without_chromium_or_a_way_to_install_it_the_check_fails_saying_how(tmp_path):
    proc = subprocess.run(["/bin/sh", str(ROOT / "scripts" / "ensure-chromium")], capture_output=True, text=True,
                          env={"PATH": str(tmp_path)})  # no chromium, no apt-get on this PATH
    assert proc.returncode == 1
    assert "no chromium found" in proc.stderr and "apt-get install chromium" in proc.stderr
    assert "ANCHOR_CHROMIUM" in proc.stderr


def test_a_named_chromium_is_accepted(tmp_path):
    fake = tmp_path / "my-chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    proc = subprocess.run(["/bin/sh", str(ROOT / "scripts" / "ensure-chromium")], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "ANCHOR_CHROMIUM": str(fake)})
    assert proc.returncode == 0, proc.stderr
