"""The Veo ad generator: google-genai (>= 3, Vertex mode only) makes a product clip from the
platform's prompt and the product image.

The operation's name is written to the journal the moment Veo returns it, and a later run with
the same inputs polls that operation instead of paying for a new one. Polling has its own
deadline and backoff; 429 on the request is retried with backoff (nothing was started), other
refusals are not (a 5xx may have started a paid generation). Every failure is an
`AdGenerationFailed` whose message is the reason the slot falls back to the local clip."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import ConfigError
from .model import AdGenerationFailed, AdRequest, OperationJournal

DEFAULT_MODEL = "veo-3.1-fast-generate-001"
DURATIONS = (4, 6, 8)
ASPECTS = ("16:9", "9:16")
Progress = Callable[[float, float, str], None]


def veo_duration(slot_s: float) -> int:
    """The shortest length Veo makes that covers the slot (the clip is trimmed to it); 8 at most
    (a longer slot holds the last frame)."""
    return next((d for d in DURATIONS if d >= slot_s - 1e-6), DURATIONS[-1])


def aspect_for(width: int, height: int) -> str:
    return "9:16" if height > width else "16:9"


@dataclass(frozen=True)
class VeoConfig:
    """The backend's settings (ANCHOR_VEO_*, GOOGLE_*), resolved once."""

    model: str = DEFAULT_MODEL
    api_key: str | None = None
    project: str | None = None
    location: str = "us-central1"
    base_url: str | None = None
    resolution: str = "720p"
    audio: bool = False
    timeout_s: float = 600.0
    poll_s: float = 10.0
    max_poll_s: float = 30.0
    attempts: int = 3
    retry_s: float = 5.0

    @property
    def where(self) -> str:
        mode = "express (API key)" if self.api_key else f"project {self.project} in {self.location}"
        return f"Vertex {mode}" + (f" at {self.base_url}" if self.base_url else "")


def veo_config(settings: Settings) -> VeoConfig:
    """From the settings; no key and no project is a ConfigError that says what to set."""
    option = settings.option
    key, project = option("GOOGLE_API_KEY"), option("GOOGLE_CLOUD_PROJECT")
    if not key and not project:
        raise ConfigError("the Veo ad backend needs Vertex credentials: set GOOGLE_API_KEY (Vertex express, with "
                          "GOOGLE_GENAI_USE_VERTEXAI=true) or GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION "
                          "with application default credentials")
    audio = (option("ANCHOR_VEO_AUDIO") or "false").lower() in ("1", "true", "yes", "on")
    attempts = int(settings.positive_option("ANCHOR_VEO_ATTEMPTS", 3))
    return VeoConfig(
        model=option("ANCHOR_VEO_MODEL") or DEFAULT_MODEL, api_key=key, project=None if key else project,
        location=option("GOOGLE_CLOUD_LOCATION") or "us-central1", base_url=option("GOOGLE_VERTEX_BASE_URL"),
        resolution=option("ANCHOR_VEO_RESOLUTION") or "720p", audio=audio,
        timeout_s=settings.positive_option("ANCHOR_VEO_TIMEOUT_S", 600.0),
        poll_s=settings.positive_option("ANCHOR_VEO_POLL_S", 10.0),
        max_poll_s=settings.positive_option("ANCHOR_VEO_MAX_POLL_S", 30.0),
        attempts=max(1, attempts), retry_s=settings.positive_option("ANCHOR_VEO_RETRY_S", 5.0))


def generation_key(option: Callable[[str], str | None], *, prompt: str, negative_prompt: str, image_digest: str,
                   duration_s: float, aspect_ratio: str) -> str:
    """What a paid clip depends on: the same inputs never pay twice (clip cache and journal)."""
    import hashlib

    parts = (option("ANCHOR_VEO_MODEL") or DEFAULT_MODEL, prompt, negative_prompt, image_digest,
             veo_duration(duration_s), aspect_ratio, option("ANCHOR_VEO_RESOLUTION") or "720p",
             (option("ANCHOR_VEO_AUDIO") or "false").lower())
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:24]


def make_client(cfg: VeoConfig) -> Any:
    """`vertexai=True` explicitly (only then is a Vertex base URL used) and, in express mode,
    `api_key=` explicitly (with GOOGLE_CLOUD_LOCATION also set the SDK would otherwise drop it)."""
    from google import genai
    from google.genai import types

    http = types.HttpOptions(base_url=cfg.base_url, timeout=60_000) if cfg.base_url else types.HttpOptions(
        timeout=60_000)
    if cfg.api_key:
        return genai.Client(vertexai=True, api_key=cfg.api_key, http_options=http)
    return genai.Client(vertexai=True, project=cfg.project, location=cfg.location, http_options=http)


@dataclass
class VeoAdGenerator:
    cfg: VeoConfig
    journal: OperationJournal | None = None
    progress: Progress | None = None
    sleep: Callable[[float], None] = time.sleep
    name: str = "veo"
    _client: Any = field(default=None, repr=False)

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = make_client(self.cfg)
        return self._client

    def generate(self, req: AdRequest, out: Path, *, width: int, height: int, fps: float) -> Path:
        """Write Veo's clip for the request to `out` (as Veo made it: the caller grades and fits it)."""
        import httpx
        from google.auth.exceptions import GoogleAuthError
        from google.genai import errors, types

        try:
            op = self._resume(req, types) or self._start(req, types, errors)
            op = self._poll(op, req, errors)
            return self._save(op, req, out)
        except errors.APIError as exc:
            reason = _api_reason(exc)
            if self.journal and req.cache_key:  # e.g. a saved operation Veo no longer knows (404): ask anew next time
                self.journal.finished(req.cache_key, "failed", reason)
            raise self._failed(req, reason) from exc
        except GoogleAuthError as exc:  # project mode without usable application default credentials
            raise self._failed(req, f"no Google credentials for {self.cfg.where} (run `gcloud auth application-default "
                                    f"login` or set GOOGLE_APPLICATION_CREDENTIALS): {exc}") from exc
        except (OSError, ValueError, httpx.HTTPError) as exc:  # transport (refused, reset, DNS), bad reply
            raise self._failed(req, f"cannot reach Veo ({self.cfg.where}): {exc}") from exc

    def _failed(self, req: AdRequest, reason: str) -> AdGenerationFailed:
        return AdGenerationFailed(reason)

    def _resume(self, req: AdRequest, types: Any) -> Any:
        name = self.journal.find(req.cache_key) if self.journal and req.cache_key else None
        return types.GenerateVideosOperation(name=name) if name else None

    def _start(self, req: AdRequest, types: Any, errors: Any) -> Any:
        image = Path(req.image_path)
        mime = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp"}.get(image.suffix.lower(),
                                                                                        "image/png")
        source = types.GenerateVideosSource(prompt=req.prompt,
                                            image=types.Image(image_bytes=image.read_bytes(), mime_type=mime))
        config = types.GenerateVideosConfig(
            number_of_videos=1, duration_seconds=veo_duration(req.duration_s), aspect_ratio=req.aspect_ratio,
            resolution=self.cfg.resolution, negative_prompt=req.negative_prompt or None,
            generate_audio=self.cfg.audio, person_generation="allow_adult")
        delay = self.cfg.retry_s
        for attempt in range(1, self.cfg.attempts + 1):
            try:
                op = self.client.models.generate_videos(model=self.cfg.model, source=source, config=config)
                break
            except errors.ClientError as exc:  # 429: refused before anything started, safe to ask again
                if exc.code != 429 or attempt == self.cfg.attempts:
                    raise
                self.sleep(delay)
                delay = min(delay * 2, 60.0)
        if self.journal and req.cache_key:
            self.journal.started(req.cache_key, self.cfg.model, str(op.name), req.slot_index)
        return op

    def _poll(self, op: Any, req: AdRequest, errors: Any) -> Any:
        deadline = time.monotonic() + self.cfg.timeout_s
        delay = self.cfg.poll_s
        started = time.monotonic()
        first = True
        while first or not op.done:
            if not first:
                if time.monotonic() + delay > deadline:
                    raise AdGenerationFailed(
                        f"Veo did not finish within {self.cfg.timeout_s:g} s (ANCHOR_VEO_TIMEOUT_S); operation "
                        f"{op.name} is kept and the next run resumes it")
                self.sleep(delay)
                delay = min(delay * 1.5, self.cfg.max_poll_s)
            first = False
            if self.progress:
                self.progress(min(time.monotonic() - started, self.cfg.timeout_s), self.cfg.timeout_s,
                              f"slot {req.slot_index}: waiting for Veo")
            try:
                op = self.client.operations.get(op)
            except errors.APIError as exc:  # polling is safe to repeat: 429 and 5xx wait a round
                if exc.code != 429 and (exc.code or 0) < 500:
                    raise
        return op

    def _save(self, op: Any, req: AdRequest, out: Path) -> Path:
        journal = self.journal if req.cache_key else None
        if op.error:
            reason = f"Veo generation failed: {op.error.get('code', '')} {op.error.get('message', '')}".strip()
            if journal:
                journal.finished(req.cache_key, "failed", reason)
            raise AdGenerationFailed(reason)
        resp = op.response or op.result
        videos = list(getattr(resp, "generated_videos", None) or [])
        filtered = getattr(resp, "rai_media_filtered_count", None) or 0
        if not videos:
            why = "; ".join(getattr(resp, "rai_media_filtered_reasons", None) or []) if resp else ""
            reason = (f"Veo blocked the clip (rai_media_filtered_count={filtered}{': ' + why if why else ''})"
                      if filtered else "Veo returned no video")
            if journal:
                journal.finished(req.cache_key, "failed", reason)
            raise AdGenerationFailed(reason)
        video = videos[0].video
        if not video or not video.video_bytes:
            uri = getattr(video, "uri", None) if video else None
            reason = f"Veo put the clip in {uri}, which this backend does not fetch" if uri else "Veo sent no bytes"
            if journal:
                journal.finished(req.cache_key, "failed", reason)
            raise AdGenerationFailed(reason)
        part = out.with_name(out.name + ".part")
        part.write_bytes(video.video_bytes)
        os.replace(part, out)
        if journal:
            journal.finished(req.cache_key, "done")
        return out


def _api_reason(exc: Any) -> str:
    code, status, message = exc.code, exc.status or "", " ".join(str(exc.message or "").split())[:200]
    if code == 429:
        return f"Veo quota exhausted (429 {status or 'RESOURCE_EXHAUSTED'}): {message}"
    if code and code >= 500:
        return f"Veo server error ({code} {status}): {message}"
    return f"Veo refused the request ({code} {status}): {message}"
