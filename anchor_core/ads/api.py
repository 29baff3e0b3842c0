"""Ads for a timeline's slots: products cycle through the event's selection, each clip is
graded toward the scene before its slot, stored under outputs/{event_id}/ads/ and recorded.
The generator is the configured backend (`ANCHOR_ADS`)."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Mapping
from pathlib import Path

from ..catalog import Catalog
from ..catalog import events as events_repo
from ..catalog import products as products_repo
from ..config import Settings
from ..media import OutputFormat, run_ffmpeg
from ..media.commands import still_frame_args
from ..store import ObjectStore, output_key
from ..sync import Angle
from ..timeline import Timeline
from .model import AdBreak, AdGenerator, AdRequest
from .prompt import SceneContext, build_product_ad_prompt
from .store import record_ad

CLIP_VERSION = "1"  # bump when clips made by the same backend would change


def open_ad_generator(settings: Settings, backend: str | None = None) -> AdGenerator:
    from ..registry import AD_GENERATORS

    return AD_GENERATORS.open(settings, backend)


def make_ad_breaks(cat: Catalog, store: ObjectStore, settings: Settings, event_id: str, tl: Timeline,
                   angles: Mapping[str, Angle], fmt: OutputFormat) -> list[AdBreak]:
    """One clip per ad slot of the timeline (made once, then reused), ready for the render."""
    products = products_repo.event_products(cat, event_id)
    usable = [p for p in products if p.image_key and store.exists(p.image_key)]
    if not tl.ad_slots or not usable:
        return []
    event = events_repo.get_event(cat, event_id)
    gen: AdGenerator | None = None
    breaks = []
    for n, slot in enumerate(tl.ad_slots):
        start_s, duration_s = slot.timestamp_ms / 1000.0, slot.duration_ms / 1000.0
        product = usable[n % len(usable)]
        price = f"${product.price:,.2f}" if product.price is not None else ""
        prompt = build_product_ad_prompt(product.title, event.event_type, duration_s, SceneContext())
        key_src = (f"{settings.ad_backend}-{CLIP_VERSION}|{product.id}|{product.title}|{price}|{duration_s}|{start_s}"
                   f"|{fmt}")
        digest = hashlib.sha256(key_src.encode()).hexdigest()[:12]
        key = output_key(event_id, f"ads/slot{n:03d}-{digest}.mp4")
        if not store.exists(key):
            gen = gen or open_ad_generator(settings)
            with tempfile.TemporaryDirectory(prefix="ad-") as tmp:
                scene = _scene_frame(store, tl, angles, start_s, Path(tmp) / "scene.png", settings.ffmpeg)
                out = Path(tmp) / "ad.mp4"
                image = str(store.path_for(product.image_key or ""))
                gen.generate(AdRequest(n, duration_s, product.title, price, image, scene, prompt),
                             out, width=fmt.width, height=fmt.height, fps=fmt.fps)
                store.put_file(key, out)
            record_ad(cat, event_id=event_id, timeline_id=tl.timeline_id, slot_idx=n, product_id=product.id,
                      backend=gen.name, object_key=key, prompt=prompt, duration_ms=slot.duration_ms)
        overlay = f"Sponsored by {product.vendor}" if product.vendor else "Sponsored"
        breaks.append(AdBreak(start_s, duration_s, str(store.path_for(key)), overlay))
    return breaks


def _scene_frame(store: ObjectStore, tl: Timeline, angles: Mapping[str, Angle], start_s: float, out: Path,
                 ffmpeg: str | None) -> str | None:
    """A still of the shot just before the slot (for the colour grade), if that angle is synced."""
    t = max(0.0, start_s - 0.5)
    a = angles.get(tl.angle_at(t * 1000.0))
    if a is None:
        return None
    path = str(store.path_for(a.object_key))
    run_ffmpeg(still_frame_args(path, a.source_time(t), str(out)), path=path,
               what="grabbing the scene frame before an ad failed", ffmpeg=ffmpeg)
    return str(out)
