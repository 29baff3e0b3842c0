"""The SDK client, and one call wrapper that turns its failures into Anchor's.

The SDK's own retries stay off (a retried multipart request goes out without its form fields):
`call` re-invokes the whole function instead, so each attempt rebuilds its body (and re-opens
its file). 429 waits for Retry-After; 5xx and timeouts back off exponentially, with a cap.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from ..errors import AnchorError, ConfigError
from .config import TLConfig

T = TypeVar("T")
Sleep = Callable[[float], None]


class TwelveLabsError(AnchorError):
    """TwelveLabs refused or failed a request; the message says what to do. Local data is untouched."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class RemoteNotFound(TwelveLabsError):
    """A remote index, task or video is gone (404)."""


class AngleNotDone(TwelveLabsError):
    """One angle could not be finished (its task failed, our deadline passed, it is too short):
    that angle keeps its local values and its saved ids; the others go on."""


def open_client(cfg: TLConfig) -> Any:
    """A `twelvelabs.TwelveLabs` client on cfg.base_url (the SDK itself lets TWELVELABS_BASE_URL win)."""
    from twelvelabs import TwelveLabs

    env = os.environ.get("TWELVELABS_BASE_URL", "").rstrip("/")
    if env and env != cfg.base_url:  # the SDK would silently use it instead of ours
        raise ConfigError(f"TWELVELABS_BASE_URL={env!r} in the environment overrides the configured "
                          f"{cfg.base_url!r} inside the SDK; unset it or make the two agree")
    return TwelveLabs(api_key=cfg.api_key, base_url=cfg.base_url, timeout=cfg.timeout_s)


def _body_text(body: Any) -> tuple[str, str]:
    if isinstance(body, dict):
        return str(body.get("code") or ""), str(body.get("message") or "")
    return "", str(body or "")


def _quota(code: str, message: str) -> bool:
    """A 429 that waiting a minute will not cure: the plan's usage, not the request rate."""
    text = f"{code} {message}".lower()
    return code in ("usage_limit_exceeded", "quota_exceeded") or "quota" in text or "usage limit" in text


def retry_after(headers: Any) -> float | None:
    """Seconds from a Retry-After header (seconds form; an HTTP date is treated as absent)."""
    raw = (headers or {}).get("retry-after") or (headers or {}).get("Retry-After")
    try:
        return max(0.0, float(raw)) if raw is not None else None
    except ValueError:
        return None


def call(cfg: TLConfig, what: str, fn: Callable[[], T], *, sleep: Sleep = time.sleep) -> T:
    """Run `fn` (one SDK request) with our retry policy; raise TwelveLabsError with advice."""
    from twelvelabs.core.api_error import ApiError

    last = ""
    for attempt in range(1, cfg.attempts + 1):
        backoff = min(cfg.backoff_s * 2 ** (attempt - 1), cfg.max_wait_s)
        try:
            return fn()
        except ApiError as exc:  # every status-specific SDK error is one of these
            status = int(exc.status_code or 0)
            code, message = _body_text(exc.body)
            if status in (401, 403):
                raise TwelveLabsError(f"TwelveLabs refused the API key while trying to {what} ({status} {code}): "
                                      "check TWELVELABS_API_KEY (a key from https://playground.twelvelabs.io)",
                                      status=status) from exc
            if status == 404:
                raise RemoteNotFound(f"TwelveLabs could not {what}: {message or 'not found'} (404)",
                                     status=404) from exc
            if status == 429 and _quota(code, message):
                raise TwelveLabsError(f"the TwelveLabs plan's usage is exhausted ({code}: {message}); "
                                      "upgrade the plan or wait for the quota to reset, then run again "
                                      "(ids already issued are kept and resumed)", status=429) from exc
            if status == 429:
                wait = retry_after(exc.headers)
                last = f"rate limited (429{f', Retry-After {wait:g} s' if wait is not None else ''})"
                delay = min(wait if wait is not None else backoff, cfg.max_wait_s)
            elif status >= 500:
                last, delay = f"server error {status}: {message}", backoff
            else:
                raise TwelveLabsError(f"TwelveLabs could not {what} ({status} {code}): {message}",
                                      status=status) from exc
        except httpx.TimeoutException:
            last, delay = f"no answer within {cfg.timeout_s:g} s", backoff
        except httpx.TransportError as exc:
            last, delay = f"connection failed ({exc})", backoff
        if attempt < cfg.attempts:
            sleep(delay)
    raise TwelveLabsError(f"TwelveLabs could not {what} after {cfg.attempts} attempts: {last}; "
                          f"check {cfg.host} is reachable and run again (progress is kept)")


def poll(cfg: TLConfig, what: str, fetch: Callable[[], Any], *, done: tuple[str, ...], failed: tuple[str, ...],
         on_status: Callable[[str, int], None] | None = None, sleep: Sleep = time.sleep,
         clock: Callable[[], float] = time.monotonic) -> Any:
    """Poll `fetch()` (returns an object with `.status`) until done, failed or our own deadline."""
    start = clock()
    n = 0
    while True:
        r = call(cfg, what, fetch, sleep=sleep)
        n += 1
        status = str(r.status)
        if on_status is not None:
            on_status(status, n)
        if status in done:
            return r
        if status in failed:
            raise AngleNotDone(f"TwelveLabs could not {what}: the task ended {status}")
        if clock() - start >= cfg.poll_deadline_s:
            raise AngleNotDone(f"TwelveLabs did not {what} within {cfg.poll_deadline_s:g} s (still {status}); "
                                  "its ids are saved: run the same command again to resume waiting")
        sleep(cfg.poll_interval_s)
