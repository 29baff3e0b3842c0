"""The local analyzer's knobs and the cache key that ties stored features to them."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

# Bump when the measurements change meaning, so cached features are recomputed.
ANALYZER_VERSION = "local-3"


@dataclass(frozen=True)
class AnalysisParams:
    window_ms: int = 2000
    width: int = 320  # decode width; motion and cuts use 2x/4x block means of it
    audio_rate: int = 16000
    face_interval_s: float = 1.0  # one face-detection frame per this many seconds
    cut_ratio: float = 3.0  # adaptive: a cut scores this many times its neighbours
    cut_min_content: float = 12.0  # and at least this mean luma change (0-255)
    min_scene_s: float = 0.4
    dark_luma: float = 35.0
    speech_snr_db: tuple[float, float] = (3.0, 12.0)  # voice level over the mic's floor -> speech 0..1
    crowd_span_db: float = 15.0  # sustained loudness this far above the floor = crowd energy 1

    def __post_init__(self) -> None:
        from ..errors import ValidationError

        if self.window_ms < 500:
            raise ValidationError(f"window_ms must be at least 500 (got {self.window_ms})")
        if self.width < 64:
            raise ValidationError(f"width must be at least 64 pixels (got {self.width})")
        if self.face_interval_s <= 0:
            raise ValidationError("face_interval_s must be positive")


def cache_key(content_hash: str, params: AnalysisParams) -> str:
    """Same file, same analyzer, same parameters -> same key; anything else recomputes."""
    blob = json.dumps({"hash": content_hash, "version": ANALYZER_VERSION, "params": asdict(params)},
                      sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]
