"""A loopback fake of the TwelveLabs v1.3 API, for the real `twelvelabs` SDK to talk to.

Serves the routes Anchor uses with the request and response shapes of SDK 1.3.6 (see
../shared/reference/twelvelabs-veo-apis.md §3), on 127.0.0.1 and a random port. Every request
is recorded (JSON body, or multipart fields and file sizes), so tests assert what went on the
wire. Faults (status, Retry-After, a slow answer) are queued per route. State lives in the
instance, so a second client (a "restarted" process) sees the same tasks.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import re
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

API_KEY = "tlk_test_key"
DIM = 512


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    json: Any = None
    form: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)  # field name -> bytes received


@dataclass
class Fault:
    method: str
    path: str  # regex on the path after /v1.3
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=lambda: {"code": "internal_error", "message": "fake failure"})
    delay_s: float = 0.0  # answer this late (a client timeout below it sees a timeout)
    times: int = 1
    after: bool = False  # carry the request out first, then answer with the fault (accepted, reply lost)


def vector(seed: str) -> list[float]:
    """A deterministic unit vector of Marengo 3.0's size."""
    h = hashlib.sha256(seed.encode()).digest()
    raw = [((h[i % 32] * (i + 7)) % 251) / 125.0 - 1.0 for i in range(DIM)]
    norm = math.sqrt(sum(x * x for x in raw)) or 1.0
    return [x / norm for x in raw]


def _probe_duration(data: bytes, suffix: str) -> tuple[float, int, int]:
    from anchor_core.media import probe

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / f"upload{suffix}"
        p.write_bytes(data)
        m = probe(p, scan_packets=False)
        return m.duration_s, (m.video.width if m.video else 0), (m.video.height if m.video else 0)


def default_segments(duration_s: float, definitions: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """A plausible Pegasus answer: 4 s segments over the whole video for every definition."""
    out: dict[str, list[dict[str, Any]]] = {}
    for d in definitions:
        segs = []
        t = 0.0
        k = 0
        while t < duration_s - 0.5:
            end = min(duration_s, t + 4.0)
            meta: dict[str, Any] = {}
            for f in d.get("fields") or []:
                kind = f.get("type")
                meta[f["name"]] = ((k * 3) % 11 if kind == "integer" else float(k % 5) if kind == "number" else
                                   ["cheer"] if kind == "array" else k % 2 == 0 if kind == "boolean" else
                                   f"{d['id']} {k}")
            segs.append({"start_time": round(t, 3), "end_time": round(end, 3), "metadata": meta})
            t, k = end, k + 1
        out[d["id"]] = segs
    return out


class FakeTwelveLabs:
    def __init__(self, *, api_key: str = API_KEY, polls_to_ready: int = 2, store_uploads: bool = True) -> None:
        self.api_key = api_key
        self.polls_to_ready = polls_to_ready
        self.store_uploads = store_uploads
        self.requests: list[Recorded] = []
        self.faults: list[Fault] = []
        self.indexes: dict[str, dict[str, Any]] = {}
        self.tasks: dict[str, dict[str, Any]] = {}
        self.videos: dict[str, dict[str, Any]] = {}  # video id -> info (index_id, asset_id, duration, ...)
        self.analyses: dict[str, dict[str, Any]] = {}
        self.searches: dict[str, list[dict[str, Any]]] = {}  # page token -> remaining hits
        # Hooks a test may replace:
        self.answer: Callable[[dict[str, Any], dict[str, Any]], tuple[str, str]] = self._default_answer
        self.search_hits: Callable[[dict[str, list[str]], dict[str, int]], list[dict[str, Any]]] = lambda f, files: []
        self.text_vector: Callable[[str], list[float]] = vector
        self.clip_vectors: Callable[[str, float, float], list[float]] = lambda vid, s, e: vector(f"{vid}:{s}")
        self.quota_exhausted = False
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- life cycle ---------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1.3"

    def __enter__(self) -> FakeTwelveLabs:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- helpers for tests ----------------------------------------------------------------------
    def fail(self, method: str, path: str, status: int = 500, *, times: int = 1, delay_s: float = 0.0,
             headers: dict[str, str] | None = None, body: dict[str, Any] | None = None,
             after: bool = False) -> None:
        f = Fault(method, path, status, headers or {}, times=times, delay_s=delay_s, after=after)
        if body is not None:
            f.body = body
        self.faults.append(f)

    def calls(self, method: str, path_regex: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and re.fullmatch(path_regex, r.path)]

    # -- behaviour ------------------------------------------------------------------------------
    def _default_answer(self, video: dict[str, Any], body: dict[str, Any]) -> tuple[str, str]:
        defs = body.get("response_format", {}).get("segment_definitions", [])
        return json.dumps(default_segments(video["duration"], defs)), "stop"

    def _route(self, rec: Recorded, body_files: dict[str, bytes]) -> tuple[int, Any, dict[str, str]]:
        p, m = rec.path, rec.method
        if rec.headers.get("x-api-key") != self.api_key:
            return 401, {"code": "api_key_invalid", "message": "The API key you provided is not valid."}, {}
        if self.quota_exhausted and m == "POST":
            return 429, {"code": "usage_limit_exceeded",
                         "message": "You have exceeded your plan's usage limit."}, {}
        if m == "POST" and p == "/indexes":
            iid = uuid.uuid4().hex[:24]
            self.indexes[iid] = {"_id": iid, "index_name": rec.json["index_name"], "models": rec.json["models"],
                                 "video_count": 0}
            return 201, {"_id": iid}, {}
        if mt := re.fullmatch(r"/indexes/(\w+)", p):
            if mt[1] not in self.indexes:
                return 404, {"code": "index_not_found", "message": f"Index {mt[1]} does not exist."}, {}
            return 200, self.indexes[mt[1]], {}
        if m == "POST" and p == "/tasks":
            iid = rec.form.get("index_id", [""])[0]
            if iid not in self.indexes:
                return 404, {"code": "index_not_found", "message": f"Index {iid} does not exist."}, {}
            if "video_file" not in body_files:
                return 400, {"code": "parameter_not_provided", "message": "video_file is required."}, {}
            data = body_files["video_file"]
            duration, w, h = _probe_duration(data, ".mp4")
            tid, vid = uuid.uuid4().hex[:24], uuid.uuid4().hex[:24]
            filename = body_files.get("video_file:filename", b"upload.mp4").decode()
            self.tasks[tid] = {"_id": tid, "index_id": iid, "video_id": vid, "status": "pending", "polls": 0,
                               "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                               "system_metadata": {"duration": duration, "filename": filename,
                                                   "width": w, "height": h}}
            self.videos[vid] = {"index_id": iid, "asset_id": "as_" + vid, "duration": duration, "size": len(data),
                                "width": w, "height": h}
            self.indexes[iid]["video_count"] += 1
            return 201, {"_id": tid, "video_id": vid}, {}
        if m == "GET" and p == "/tasks":  # filtered by index and file name, newest first, one page
            want_index = rec.query.get("index_id", [None])[0]
            want_name = rec.query.get("filename", [None])[0]
            found = [{k: v for k, v in t.items() if k != "polls"} for t in reversed(list(self.tasks.values()))
                     if (want_index is None or t["index_id"] == want_index)
                     and (want_name is None or t["system_metadata"]["filename"] == want_name)]
            return 200, {"data": found, "page_info": {"limit_per_page": 10, "page": 1, "total_page": 1,
                                                      "total_results": len(found)}}, {}
        if m == "GET" and (mt := re.fullmatch(r"/tasks/(\w+)", p)):
            t = self.tasks.get(mt[1])
            if t is None:
                return 404, {"code": "task_not_found", "message": "no such task"}, {}
            t["polls"] += 1
            t["status"] = "ready" if t["polls"] >= self.polls_to_ready else "indexing"
            return 200, {k: v for k, v in t.items() if k != "polls"}, {}
        if m == "GET" and (mt := re.fullmatch(r"/indexes/(\w+)/videos/(\w+)", p)):
            v = self.videos.get(mt[2])
            if mt[1] not in self.indexes or v is None or v["index_id"] != mt[1]:
                return 404, {"code": "video_not_found", "message": "no such video"}, {}
            out: dict[str, Any] = {"_id": mt[2], "asset_id": v["asset_id"],
                                   "system_metadata": {"duration": v["duration"], "width": v["width"],
                                                       "height": v["height"]}}
            options = rec.query.get("embedding_option", [])
            if options:
                segs = []
                for opt in options:
                    s = 0.0
                    while s < v["duration"] - 0.1:
                        e = min(v["duration"], s + 6.0)
                        segs.append({"float": self.clip_vectors(mt[2], s, e), "start_offset_sec": s,
                                     "end_offset_sec": e, "embedding_option": opt, "embedding_scope": "clip"})
                        s = e
                out["embedding"] = {"model_name": "marengo3.0", "video_embedding": {"segments": segs}}
            return 200, out, {}
        if m == "POST" and p == "/analyze/tasks":
            body = rec.json
            asset = (body.get("video") or {}).get("asset_id")
            video = next((v for v in self.videos.values() if v["asset_id"] == asset), None)
            if video is None:
                return 400, {"code": "parameter_invalid", "message": f"asset {asset} not found"}, {}
            if body.get("analysis_mode") == "time_based_metadata":
                n = len(body.get("response_format", {}).get("segment_definitions", []))
                if not 1 <= n <= 20:
                    return 400, {"code": "parameter_invalid", "message": "1-20 segment definitions"}, {}
                for d in body["response_format"]["segment_definitions"]:
                    for f in d.get("fields") or []:
                        if f.get("type") == "array" and not f.get("items"):
                            return 400, {"code": "parameter_invalid",
                                         "message": f"field {f['name']}: items is required for arrays"}, {}
            task_id = uuid.uuid4().hex[:24]
            self.analyses[task_id] = {"body": body, "video": video, "polls": 0}
            return 201, {"task_id": task_id, "status": "queued"}, {}
        if m == "GET" and (mt := re.fullmatch(r"/analyze/tasks/(\w+)", p)):
            a = self.analyses.get(mt[1])
            if a is None:
                return 404, {"code": "task_not_found", "message": "no such analysis task"}, {}
            a["polls"] += 1
            out = {"task_id": mt[1], "status": "processing", "created_at": "2026-12-01T10:00:00Z"}
            if a["polls"] >= self.polls_to_ready:
                data, reason = self.answer(a["video"], a["body"])
                out.update(status="ready", completed_at="2026-12-01T10:01:00Z",
                           result={"generation_id": "gen_" + mt[1], "data": data, "finish_reason": reason,
                                   "usage": {"output_tokens": len(data) // 4}})
            return 200, out, {}
        if m == "POST" and p == "/search":
            iid = rec.form.get("index_id", [""])[0]
            if iid not in self.indexes:
                return 404, {"code": "index_not_found", "message": f"Index {iid} does not exist."}, {}
            hits = sorted(self.search_hits(rec.form, rec.files), key=lambda h: h["rank"])
            limit = int(rec.form.get("page_limit", ["10"])[0])
            return 200, self._page(hits, limit), {}
        if m == "GET" and (mt := re.fullmatch(r"/search/(\w+)", p)):
            if mt[1] not in self.searches:
                return 400, {"code": "token_expired", "message": "page token expired"}, {}
            rest, limit = self.searches.pop(mt[1]), 0
            limit = rest[0].get("_limit", 10) if rest else 10
            return 200, self._page([{k: v for k, v in h.items() if k != "_limit"} for h in rest], limit), {}
        if m == "POST" and p == "/embed-v2":
            text = (rec.json.get("text") or {}).get("input_text", "")
            return 200, {"data": [{"embedding": self.text_vector(text), "embedding_option": None}]}, {}
        return 404, {"code": "not_found", "message": f"no route {m} {p}"}, {}

    def _page(self, hits: list[dict[str, Any]], limit: int) -> dict[str, Any]:
        first, rest = hits[:limit], hits[limit:]
        info: dict[str, Any] = {"limit_per_page": limit, "total_results": len(hits) + 0, "page_expires_at": ""}
        if rest:
            token = uuid.uuid4().hex[:16]
            self.searches[token] = [{**h, "_limit": limit} for h in rest]
            info["next_page_token"] = token
        return {"data": first, "page_info": info, "search_pool": {"total_count": len(self.videos),
                                                                  "total_duration": 0, "index_id": ""}}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a: Any) -> None:
                pass

            def _serve(self) -> None:
                url = urlparse(self.path)
                path = url.path[len("/v1.3"):] if url.path.startswith("/v1.3") else url.path
                n = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(n) if n else b""
                rec = Recorded(self.command, path, parse_qs(url.query),
                               {k.lower(): v for k, v in self.headers.items()})
                files: dict[str, bytes] = {}
                ctype = self.headers.get("content-type", "")
                if ctype.startswith("application/json") and raw:
                    rec.json = json.loads(raw)
                elif ctype.startswith("multipart/form-data"):
                    msg = BytesParser(policy=email_policy).parsebytes(
                        b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw)
                    for part in msg.iter_parts():
                        name = part.get_param("name", header="content-disposition")
                        payload = part.get_payload(decode=True) or b""
                        if part.get_filename() is not None:
                            files[str(name)] = payload
                            files[f"{name}:filename"] = str(part.get_filename()).encode()
                            rec.files[str(name)] = len(payload)
                        else:
                            rec.form.setdefault(str(name), []).append(payload.decode())
                with fake._lock:
                    fake.requests.append(rec)
                    fault = next((f for f in fake.faults if f.times > 0 and f.method == self.command
                                  and re.fullmatch(f.path, path)), None)
                    if fault is not None:
                        fault.times -= 1
                if fault is not None:
                    if fault.after:  # the service did the work; only its answer is lost
                        with fake._lock:
                            fake._route(rec, files)
                    if fault.delay_s:
                        time.sleep(fault.delay_s)
                    status, body, headers = fault.status, fault.body, fault.headers
                else:
                    with fake._lock:
                        status, body, headers = fake._route(rec, files)
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        return Handler


def main() -> None:
    """`python -m tests.twelvelabs_fake`: serve until interrupted (for `anchor demo` by hand)."""
    with FakeTwelveLabs(polls_to_ready=2) as fake:
        print(f"TWELVELABS_BASE_URL={fake.base_url} TWELVELABS_API_KEY={API_KEY}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
