"""A loopback fake of the Vertex endpoints google-genai calls for Veo, speaking their wire format.

POST /v1beta1/[projects/{p}/locations/{l}/]publishers/google/models/{m}:predictLongRunning
    -> {"name": ".../publishers/google/models/{m}/operations/{id}", "done": false}
POST /v1beta1/<prefix>/models/{m}:fetchPredictOperation  {"operationName"}
    -> done:false until the operation's polls are used up, then done:true with
       response{videos[{bytesBase64Encoded, mimeType}], raiMediaFilteredCount} or error{code, message}
Errors are Google's JSON error bodies ({"error": {code, message, status}}).

Scripting: `predict_statuses` (HTTP statuses answered before the next real predict, e.g. [429]),
`outcome` ("video" | "filtered" | "error"), `polls_before_done` (None = never done). The video is a
real small H.264 mp4 made by ffmpeg, deliberately magenta-tinted so the grade has work to do."""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from anchor_core.media import run_ffmpeg


def make_veo_mp4(path: Path, seconds: int, *, size: str = "320x180") -> bytes:
    """What Veo would send: 24 fps H.264 (+ AAC), here a test pattern with a strong colour cast."""
    if not path.is_file():
        run_ffmpeg(["-f", "lavfi", "-i", f"testsrc2=size={size}:rate=24", "-f", "lavfi", "-i",
                    "sine=frequency=330:sample_rate=48000", "-t", str(seconds), "-vf",
                    "colorchannelmixer=rr=1:gg=0.35:bb=0.9,format=yuv420p", "-c:v", "libx264", "-preset", "ultrafast",
                    "-c:a", "aac", "-shortest", str(path)])
    return path.read_bytes()


@dataclass
class FakeVeo:
    folder: Path
    outcome: str = "video"
    polls_before_done: int | None = 1
    predict_statuses: list[int] = field(default_factory=list)
    predicts: list[dict[str, Any]] = field(default_factory=list)  # request bodies that started an operation
    refused: int = 0  # predict calls answered with an error status
    polls: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    _ops: dict[str, dict[str, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> FakeVeo:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                status, payload = fake.handle(self.path, dict(self.headers), body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def handle(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self.paths.append(path)
            self.headers.append(headers)
            if not path.startswith("/v1beta1/") or "/publishers/google/models/" not in path:
                return _error(404, "NOT_FOUND", f"no route {path}")
            resource, _, verb = path[len("/v1beta1/"):].partition(":")
            if verb == "predictLongRunning":
                if self.predict_statuses:
                    code = self.predict_statuses.pop(0)
                    self.refused += 1
                    return _error(code, {429: "RESOURCE_EXHAUSTED", 503: "UNAVAILABLE"}.get(code, "INTERNAL"),
                                  "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model"
                                  if code == 429 else "The service is currently unavailable.")
                inst = body.get("instances") or [{}]
                if not inst[0].get("prompt") or not (inst[0].get("image") or {}).get("bytesBase64Encoded"):
                    return _error(400, "INVALID_ARGUMENT", "instances[0] needs a prompt and an image")
                name = f"{resource}/operations/op{len(self.predicts) + 1:04d}"
                self.predicts.append(body)
                self._ops[name] = {"polls": 0, "seconds": int(body.get("parameters", {}).get("durationSeconds", 8))}
                return 200, {"name": name, "done": False}
            if verb == "fetchPredictOperation":
                name = body.get("operationName", "")
                op = self._ops.get(name)
                self.polls.append(name)
                if op is None:
                    return _error(404, "NOT_FOUND", f"operation {name} not found")
                op["polls"] += 1
                if self.polls_before_done is None or op["polls"] <= self.polls_before_done:
                    return 200, {"name": name, "done": False}
                return 200, self._result(name, op)
            return _error(404, "NOT_FOUND", f"no method {verb}")

    def _result(self, name: str, op: dict[str, Any]) -> dict[str, Any]:
        if self.outcome == "error":
            return {"name": name, "done": True, "error": {"code": 3, "message": "The prompt could not be processed."}}
        if self.outcome == "filtered":
            return {"name": name, "done": True, "response": {
                "@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse",
                "raiMediaFilteredCount": 1,
                "raiMediaFilteredReasons": ["The image contains content that violates the usage guidelines."]}}
        mp4 = make_veo_mp4(self.folder / f"veo-{op['seconds']}s.mp4", op["seconds"])
        return {"name": name, "done": True, "response": {
            "@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse",
            "videos": [{"bytesBase64Encoded": base64.b64encode(mp4).decode(), "mimeType": "video/mp4"}]}}


def _error(code: int, status: str, message: str) -> tuple[int, dict[str, Any]]:
    return code, {"error": {"code": code, "message": message, "status": status}}


# --- A small event to fill: one synced angle of a known scene, a timeline with two ad slots. ---

SKY = (120, 185, 235)  # RGB
GRASS = (40, 140, 60)
PAN_PX_PER_FRAME = 4  # the camera pans right: the picture slides left this much per frame
SLOTS = ((4.0, 2.0), (9.0, 2.0))  # (start, duration) in event seconds


def make_panning_scene(path: Path, *, seconds: float = 12.0, width: int = 320, height: int = 180,
                       fps: float = 25.0) -> Path:
    """Sky over grass, textured so phase correlation locks on, the camera panning right."""
    import numpy as np

    from anchor_core.media.encode import RawVideoWriter

    rng = np.random.default_rng(7)
    n = int(seconds * fps)
    wide = width + PAN_PX_PER_FRAME * n + 8
    world = np.zeros((height, wide, 3), np.float32)
    world[: height // 2] = SKY
    world[height // 2:] = GRASS
    blobs = rng.normal(0.0, 1.0, (height // 6 + 1, wide // 6 + 1)).repeat(6, 0).repeat(6, 1)[:height, :wide]
    world += 22.0 * blobs[..., None]
    world = np.clip(world, 0, 255).astype(np.uint8)[:, :, ::-1]  # BGR for the writer
    with RawVideoWriter(path, width=width, height=height, fps=fps, preset="ultrafast") as w:
        for i in range(n):
            x = i * PAN_PX_PER_FRAME
            w.write(np.ascontiguousarray(world[:, x:x + width]))
    return path


def product_png(path: Path, colour: tuple[int, int, int] = (200, 40, 40)) -> Path:
    import cv2
    import numpy as np

    img = np.full((160, 160, 3), 235, np.uint8)
    cv2.circle(img, (80, 80), 55, colour[::-1], -1)
    cv2.imwrite(str(path), img)
    return path


@dataclass(frozen=True)
class SceneEvent:
    event_id: str
    video_id: str
    product_ids: tuple[str, ...]
    titles: tuple[str, ...]
    images: tuple[bytes, ...]


def build_scene_event(cat: Any, store: Any, media: Path, titles: tuple[str, ...]) -> SceneEvent:
    import polars as pl

    from anchor_core.catalog import events as events_repo
    from anchor_core.catalog import products as products_repo
    from anchor_core.catalog.ids import new_id
    from anchor_core.ingest import ingest_video

    clip = media / "scene.mp4"
    if not clip.is_file():
        make_panning_scene(clip)
    event = events_repo.create_event(cat, "Cup final", "sports")
    vid = ingest_video(cat, store, event.id, clip, angle_type="wide").id
    with cat.transaction() as cur:
        cur.execute("UPDATE videos SET sync_offset_s=0, sync_drift_ppm=0, sync_confidence=1, sync_status='synced',"
                    " sync_method='truth', is_reference=true WHERE id=?", [vid])
    feats = pl.DataFrame({
        "video_id": [vid] * 6, "t_ms": [2000 * k for k in range(6)], "action_intensity": [4.5] * 6,
        "scene_cut": [False] * 6, "scene_type": ["pan"] * 6, "faces": [0] * 6, "speech": [0.0] * 6,
        "crowd_energy": [0.4] * 6, "audio_events": [["cheer"]] * 6, "visual_complexity": [0.5] * 6,
        "key_moment": [False] * 6, "description": ["pan"] * 6,
    }, schema_overrides={"faces": pl.Int32})
    with cat.transaction() as cur:
        cur.register("incoming_features", feats.to_arrow())
        cur.execute("INSERT INTO features SELECT * FROM incoming_features")
        cur.unregister("incoming_features")
        tid = new_id("tl")
        cur.execute("INSERT INTO timelines (id, event_id, strategy, inputs_hash, duration_ms) VALUES (?,?,?,?,?)",
                    [tid, event.id, "hand", "test", 12000])
        cur.execute("INSERT INTO timeline_segments VALUES (?,?,?,?,?,?,?)", [tid, 0, 0, 12000, vid, "wide", 1.0])
        for i, (s, d) in enumerate(SLOTS):
            cur.execute("INSERT INTO timeline_ad_slots VALUES (?,?,?,?,?)", [tid, i, int(s * 1000), int(d * 1000), 80.0])
    ids, images = [], []
    for k, title in enumerate(titles):
        png = product_png(media / f"product{k}.png", ((200, 40, 40), (40, 40, 200))[k % 2])
        key = f"products/test/product{k}.png"
        store.put_file(key, png)
        p = products_repo.upsert_product(cat, source="csv", external_id=f"p{k}", title=title, vendor="Acme",
                                         price=19.5, currency="USD", image_key=key)
        ids.append(p.id)
        images.append(png.read_bytes())
    products_repo.select_for_event(cat, event.id, ids)
    return SceneEvent(event.id, vid, tuple(ids), titles, tuple(images))
