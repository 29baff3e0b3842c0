"""`anchor serve`: who gets in (user `anchor` and the password, then a random server-side session
that expires and that /logout revokes), and start-up errors said in one line before anything
else is printed. The Guard is driven directly with a stub inner app (fast), then the real server
runs as `anchor serve` in its own process."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from anchor_app.serve import COOKIE, MAX_SESSIONS, Guard, parse_args

PASSWORD = "correct horse"


# --- the Guard on its own -------------------------------------------------------------------


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _inner(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The protected app: says 200 (http) or accepts (websocket)."""
    if scope["type"] == "websocket":
        await send({"type": "websocket.accept"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"inside"})


def _basic(user: str, password: str) -> tuple[bytes, bytes]:
    return b"authorization", b"Basic " + base64.b64encode(f"{user}:{password}".encode())


def _with_cookie(token: str) -> tuple[bytes, bytes]:
    return b"cookie", f"other=1; {COOKIE}={token}".encode()


def _call(guard: Guard, path: str = "/organizer/", headers: list[tuple[bytes, bytes]] | None = None,
          query: bytes = b"", kind: str = "http") -> list[dict[str, Any]]:
    """Messages the guard sends for one request."""
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    scope = {"type": kind, "path": path, "headers": headers or [], "query_string": query}
    asyncio.run(guard(scope, receive, send))
    return sent


def _status(sent: list[dict[str, Any]]) -> int | str:
    first = sent[0]
    return first["status"] if first["type"] == "http.response.start" else first["type"]


def _set_cookie(sent: list[dict[str, Any]]) -> str:
    return dict(sent[0]["headers"]).get(b"set-cookie", b"").decode()


def _token(set_cookie: str) -> str:
    return set_cookie.split(";")[0].partition("=")[2]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def guard(clock: Clock) -> Guard:
    return Guard(_inner, PASSWORD, session_hours=1, clock=clock)


def test_basic_auth_refuses_another_user_name_with_the_right_password(guard):
    assert _status(_call(guard, headers=[_basic("admin", PASSWORD)])) == 401
    assert _status(_call(guard, headers=[_basic("", PASSWORD)])) == 401
    assert _status(_call(guard, headers=[_basic("anchor", "wrong")])) == 401
    assert _status(_call(guard, headers=[_basic("anchor", PASSWORD)])) == 200


def test_malformed_basic_header_is_refused_not_an_error(guard):
    for value in (b"Basic !!!", b"Basic " + base64.b64encode(b"no colon"), b"Basic \xff\xfe"):
        assert _status(_call(guard, headers=[(b"authorization", value)])) == 401


def test_login_issues_a_random_session_cookie_with_its_flags(guard):
    first = _set_cookie(_call(guard, headers=[_basic("anchor", PASSWORD)]))
    second = _set_cookie(_call(guard, query=b"token=correct%20horse"))
    assert first.startswith(f"{COOKIE}=") and second.startswith(f"{COOKIE}=")
    assert _token(first) != _token(second)
    old_fixed = hmac.new(PASSWORD.encode(), b"anchor-session", hashlib.sha256).hexdigest()
    assert old_fixed not in (_token(first), _token(second)) and PASSWORD not in first
    flags = [f.strip() for f in first.split(";")[1:]]
    assert {"HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=3600"} <= set(flags)


def test_session_cookie_lets_requests_in_without_credentials(guard):
    token = _token(_set_cookie(_call(guard, headers=[_basic("anchor", PASSWORD)])))
    again = _call(guard, headers=[_with_cookie(token)])
    assert _status(again) == 200 and _set_cookie(again) == ""  # no second session for a live one
    assert len(guard.sessions) == 1
    assert _status(_call(guard, headers=[_with_cookie("made-up")])) == 401


def test_logout_revokes_the_session_and_clears_the_cookie(guard):
    token = _token(_set_cookie(_call(guard, headers=[_basic("anchor", PASSWORD)])))
    out = _call(guard, path="/logout", headers=[_with_cookie(token)])
    assert _status(out) == 200 and b"logged out" in out[1]["body"]
    assert _token(_set_cookie(out)) == "" and "Max-Age=0" in _set_cookie(out)
    assert _status(_call(guard, headers=[_with_cookie(token)])) == 401
    assert _call(guard, path="/organizer/ws", headers=[_with_cookie(token)], kind="websocket")[0] == \
        {"type": "websocket.close", "code": 1008}
    assert len(guard.sessions) == 0


def test_expired_session_is_refused_and_pruned(guard, clock):
    old = _token(_set_cookie(_call(guard, headers=[_basic("anchor", PASSWORD)])))
    clock.now += 1800
    assert _status(_call(guard, headers=[_with_cookie(old)])) == 200
    clock.now += 1800
    assert _status(_call(guard, headers=[_with_cookie(old)])) == 401
    assert len(guard.sessions) == 0
    _call(guard, headers=[_basic("anchor", PASSWORD)])
    clock.now += 3600
    _call(guard, headers=[_basic("anchor", PASSWORD)])  # a new login drops the expired ones
    assert len(guard.sessions) == 1


def test_websocket_needs_a_live_session_or_the_credentials(guard, clock):
    def ws(headers: list[tuple[bytes, bytes]], query: bytes = b"") -> dict[str, Any]:
        return _call(guard, path="/organizer/ws", headers=headers, query=query, kind="websocket")[0]

    token = _token(_set_cookie(_call(guard, headers=[_basic("anchor", PASSWORD)])))
    assert ws([_with_cookie(token)]) == {"type": "websocket.accept"}
    assert ws([_basic("anchor", PASSWORD)]) == {"type": "websocket.accept"}
    assert ws([], b"token=correct%20horse") == {"type": "websocket.accept"}
    assert len(guard.sessions) == 1  # a websocket cannot take a cookie: none issued
    assert ws([_basic("admin", PASSWORD)])["type"] == "websocket.close"
    clock.now += 3601
    assert ws([_with_cookie(token)]) == {"type": "websocket.close", "code": 1008}


def test_session_table_stays_bounded_for_clients_that_drop_cookies(guard):
    for _ in range(MAX_SESSIONS + 5):
        guard.sessions.issue()
    assert len(guard.sessions) == MAX_SESSIONS


# --- the real server, as `anchor serve` -----------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """`anchor serve` in its own process group, its stderr read line by line in a thread."""

    def __init__(self, home: Path, *args: str, direct: bool = False) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "anchor_core.cli", "--home", str(home), "serve", "--port", str(self.port), *args]
        if direct:  # the server module itself, as `anchor serve` execs it (for its own flags)
            cmd = [sys.executable, "-m", "anchor_app.serve", "--port", str(self.port), *args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     start_new_session=True, env={**os.environ, "ANCHOR_HOME": str(home)})
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line)

    def wait_for(self, needle: str, timeout: float = 60) -> str:
        """The first stderr line holding `needle` (the server's own announcement)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                assert self.proc.poll() is None, f"anchor serve exited with {self.proc.returncode}"
                continue
            if needle in line:
                return line
        raise AssertionError(f"anchor serve never said {needle!r}")

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=15)


def _serve(home: Path, *args: str) -> Iterator[Served]:
    served = Served(home, *args)
    try:
        served.wait_for(served.base)
        yield served
    finally:
        served.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("serve")
    (tmp / "pw").write_text(PASSWORD + "\n")
    yield from _serve(tmp / "home", "--password-file", str(tmp / "pw"))


@pytest.fixture(scope="module")
def short_server(tmp_path_factory) -> Iterator[Served]:
    """Sessions of 3.6 s and a generated password."""
    yield from _serve(tmp_path_factory.mktemp("serve-short") / "home", "--session-hours", "0.001")


def test_served_app_answers_as_soon_as_it_announces_its_url(server):
    assert httpx.get(server.base + "/organizer/", timeout=5).status_code == 401


def test_served_app_refuses_another_user_name_with_the_right_password(server):
    assert httpx.get(server.base + "/organizer/", auth=("admin", PASSWORD)).status_code == 401
    assert httpx.get(server.base + "/organizer/", auth=("anchor", PASSWORD)).status_code == 200


def test_served_login_sets_a_fresh_random_http_only_cookie(server):
    first = httpx.get(server.base + "/organizer/", auth=("anchor", PASSWORD))
    second = httpx.get(server.base + "/organizer/?token=correct%20horse")
    tokens = [r.cookies[COOKIE] for r in (first, second)]
    assert tokens[0] != tokens[1]
    old_fixed = hmac.new(PASSWORD.encode(), b"anchor-session", hashlib.sha256).hexdigest()
    assert old_fixed not in tokens
    header = first.headers["set-cookie"]
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Max-Age=43200" in header


def test_served_cookie_works_until_logout_then_is_refused(server):
    token = httpx.get(server.base + "/organizer/", auth=("anchor", PASSWORD)).cookies[COOKIE]
    jar = {COOKIE: token}
    assert httpx.get(server.base + "/organizer/", cookies=jar).status_code == 200
    out = httpx.post(server.base + "/logout", cookies=jar)
    assert out.status_code == 200 and "logged out" in out.text and "Max-Age=0" in out.headers["set-cookie"]
    assert httpx.get(server.base + "/organizer/", cookies=jar).status_code == 401


def test_served_websocket_follows_the_session(server):
    import websockets

    url = server.base.replace("http://", "ws://") + "/organizer/ws?session_id=test-serve"

    async def attempt(cookie: str) -> int | str:
        try:
            async with websockets.connect(url, additional_headers={"Cookie": f"{COOKIE}={cookie}"},
                                          open_timeout=10):
                return "open"
        except websockets.exceptions.InvalidStatus as exc:
            return exc.response.status_code

    token = httpx.get(server.base + "/organizer/", auth=("anchor", PASSWORD)).cookies[COOKIE]
    assert asyncio.run(attempt(token)) == "open"
    httpx.get(server.base + "/logout", cookies={COOKIE: token})
    assert asyncio.run(attempt(token)) == 403


def test_served_session_expires_and_is_refused(short_server):
    password = short_server.wait_for("generated password", timeout=5).rsplit(": ", 1)[1].strip()
    login = httpx.get(short_server.base + "/organizer/", auth=("anchor", password))
    started = time.monotonic()
    jar = {COOKIE: login.cookies[COOKIE]}
    assert "Max-Age=3" in login.headers["set-cookie"]
    assert httpx.get(short_server.base + "/organizer/", cookies=jar).status_code == 200
    time.sleep(max(0.0, started + 4.0 - time.monotonic()))
    assert httpx.get(short_server.base + "/organizer/", cookies=jar).status_code == 401


def _alive(pid: int) -> bool:
    """True while `pid` runs (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


@pytest.mark.parametrize("how", ["stopped", "killed"])
def test_serve_starts_one_worker_for_its_home_and_it_ends_with_the_server(tmp_path, how):
    """Stopped (SIGTERM): the server stops its worker; killed (SIGKILL, no clean-up): the kernel
    ends the worker with it. (That the worker runs the notebooks' jobs: tests/test_browser_jobs.py.)"""
    (tmp_path / "pw").write_text(PASSWORD)
    served = Served(tmp_path / "home", "--password-file", str(tmp_path / "pw"))
    try:
        served.wait_for(served.base)
        line = served.wait_for("job worker started", timeout=5)
        pid = int(line.split("pid ")[1].split(";")[0])
        assert _alive(pid)
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        assert b"worker" in cmdline and str(tmp_path / "home").encode() in cmdline
        assert os.getpgid(pid) == pid  # its own group: a stop reaches the jobs it runs too
        deadline = time.monotonic() + 30  # started: it handles SIGTERM (stops cleanly) once imported
        while not _catches_sigterm(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if how == "killed":
            os.kill(served.proc.pid, signal.SIGKILL)
            served.proc.wait(timeout=10)
    finally:
        if served.proc.poll() is None:
            served.stop()
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid), "the worker outlived anchor serve"
    log = (tmp_path / "home" / "logs" / "worker.log").read_text()
    assert ("worker: 0 job(s) run" in log) == (how == "stopped")  # SIGTERM: it stopped cleanly, said so


def _catches_sigterm(pid: int) -> bool:
    caught = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("SigCgt"))
    return bool(int(caught.split()[1], 16) & (1 << (signal.SIGTERM - 1)))


def test_serve_no_worker_starts_none_and_says_so(tmp_path):
    served = Served(tmp_path / "home", "--no-auth", "--no-worker", direct=True)
    try:
        served.wait_for(served.base)
        line = served.wait_for("no job worker", timeout=5)
        assert "anchor worker" in line
        assert httpx.get(served.base + "/organizer/", timeout=10).status_code == 200
        children = Path(f"/proc/{served.proc.pid}/task/{served.proc.pid}/children").read_text().split()
        assert not children, children
    finally:
        served.stop()


def _start_error(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`anchor serve` that must fail at start-up (so it exits by itself)."""
    cmd = [sys.executable, "-m", "anchor_core.cli", "--home", str(tmp_path / "home"), "serve", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def test_missing_password_file_is_one_error_line_and_exit_2(tmp_path):
    missing = tmp_path / "nope" / "pw"
    proc = _start_error(tmp_path, "--port", str(_free_port()), "--password-file", str(missing))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"anchor: error: password file {missing} not found: create it")


def test_empty_password_file_is_one_error_line_and_exit_2(tmp_path):
    (tmp_path / "pw").write_text("  \n")
    proc = _start_error(tmp_path, "--port", str(_free_port()), "--password-file", str(tmp_path / "pw"))
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "is empty" in proc.stderr and "Traceback" not in proc.stderr


def test_busy_port_is_one_error_line_without_the_password_or_url(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        (tmp_path / "pw").write_text(PASSWORD)
        with_file = _start_error(tmp_path, "--port", str(port), "--password-file", str(tmp_path / "pw"))
        generated = _start_error(tmp_path, "--port", str(port))  # would print a generated password
    for proc in (with_file, generated):
        assert proc.returncode != 0 and proc.stdout == ""
        assert proc.stderr == (f"anchor: error: cannot listen on 127.0.0.1:{port}: address already in use;"
                               " choose another --port\n")
    assert PASSWORD not in with_file.stderr


@pytest.mark.parametrize("args", [["--port", "70000"], ["--session-hours", "0"], ["--session-hours", "nan"]])
def test_out_of_range_port_or_session_length_is_a_usage_error(args, capsys):
    # 70000 would otherwise be wrapped to port 4464 by the socket layer.
    with pytest.raises(SystemExit) as exit_:
        parse_args(args)
    assert exit_.value.code == 2 and "anchor serve: error: argument" in capsys.readouterr().err
