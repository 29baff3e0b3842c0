"""An S3 bucket or an S3-compatible service (MinIO, R2, moto): ANCHOR_STORE=s3.

Settings: ANCHOR_S3_BUCKET (required), ANCHOR_S3_PREFIX, ANCHOR_S3_REGION, ANCHOR_S3_ENDPOINT_URL,
ANCHOR_S3_CACHE_GB (the local read cache for ffmpeg, default 20, under ANCHOR_HOME/cache/s3).
Credentials: boto3's chain (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, instance role).
"""

from __future__ import annotations

from ...config import Settings
from ...errors import ConfigError
from ...registry import Backend
from ..base import ObjectStore


def _open(settings: Settings) -> ObjectStore:
    from ..s3 import S3Store, s3_client

    raw = settings.option("ANCHOR_S3_CACHE_GB", "20") or "20"
    try:
        cache_gb = float(raw)
    except ValueError as exc:
        raise ConfigError(f"ANCHOR_S3_CACHE_GB={raw!r} is not a number of gigabytes") from exc
    client = s3_client(region=settings.option("ANCHOR_S3_REGION"),  # else boto3: AWS_REGION, the profile
                       endpoint_url=settings.option("ANCHOR_S3_ENDPOINT_URL"))
    return S3Store(client, str(settings.option("ANCHOR_S3_BUCKET")), prefix=settings.option("ANCHOR_S3_PREFIX") or "",
                   cache_dir=settings.home / "cache" / "s3", cache_bytes=int(cache_gb * (1 << 30)))


BACKEND: Backend[ObjectStore] = Backend("s3", "an S3 bucket (or S3-compatible service, ANCHOR_S3_ENDPOINT_URL)",
                                        _open, requires=("ANCHOR_S3_BUCKET",))
