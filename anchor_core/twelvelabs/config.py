"""TwelveLabs settings, read once from `Settings` (TWELVELABS_* variables) into plain data."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from ..config import Settings
from ..errors import ConfigError

DEFAULT_BASE_URL = "https://api.twelvelabs.io/v1.3"
GB = 1024**3


@dataclass(frozen=True)
class TLConfig:
    """Everything the backend needs; `api_key` is kept out of repr."""

    api_key: str
    base_url: str = DEFAULT_BASE_URL
    timeout_s: float = 60.0  # one HTTP request
    attempts: int = 5  # per call, on 429 / 5xx / timeouts
    backoff_s: float = 2.0  # first wait; doubles, capped at max_wait_s
    max_wait_s: float = 60.0
    poll_interval_s: float = 5.0
    poll_deadline_s: float = 4 * 3600.0  # our own deadline: the SDK's wait_for_done has none
    max_upload_bytes: int = 4 * GB  # above this an angle is re-encoded (CRF 23) before upload
    max_duration_s: float = 2 * 3600.0  # Pegasus async analyses at most 2 h
    min_duration_s: float = 4.0  # Marengo indexes nothing shorter

    def __repr__(self) -> str:
        return f"TLConfig(base_url={self.base_url!r}, timeout_s={self.timeout_s})"

    @property
    def host(self) -> str:
        return urlparse(self.base_url).netloc or self.base_url


def load_config(settings: Settings) -> TLConfig:
    """TWELVELABS_API_KEY is required; TWELVELABS_BASE_URL (the SDK's own override) must end in /v1.3."""
    key = settings.option("TWELVELABS_API_KEY")
    if not key:
        raise ConfigError("TWELVELABS_API_KEY is not set: get a key at https://playground.twelvelabs.io and "
                          "export it, or choose the local analyzer (ANCHOR_ANALYZER=local)")
    base = (settings.option("TWELVELABS_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
    if not base.endswith("/v1.3"):
        raise ConfigError(f"TWELVELABS_BASE_URL={base!r} must include the API version, e.g. "
                          f"{DEFAULT_BASE_URL} (Anchor is built against v1.3)")
    return TLConfig(
        api_key=key, base_url=base,
        timeout_s=settings.positive_option("TWELVELABS_TIMEOUT_S", 60.0),
        attempts=int(settings.positive_option("TWELVELABS_ATTEMPTS", 5)),
        backoff_s=settings.positive_option("TWELVELABS_BACKOFF_S", 2.0),
        max_wait_s=settings.positive_option("TWELVELABS_MAX_WAIT_S", 60.0),
        poll_interval_s=settings.positive_option("TWELVELABS_POLL_S", 5.0),
        poll_deadline_s=settings.positive_option("TWELVELABS_DEADLINE_S", 4 * 3600.0),
        max_upload_bytes=int(settings.positive_option("TWELVELABS_MAX_UPLOAD_BYTES", 4 * GB)),
        max_duration_s=settings.positive_option("TWELVELABS_MAX_DURATION_S", 2 * 3600.0),
    )
