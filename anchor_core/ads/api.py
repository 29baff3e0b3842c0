"""Ads for a timeline's slots: products cycle through the event's selection, each clip is
graded toward the scene before its slot, stored under outputs/{event_id}/ads/ and recorded."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..catalog import Catalog
from ..catalog import events as events_repo
from ..catalog import products as products_repo
from ..catalog.ids import new_id
from ..media import run_ffmpeg
from ..media.commands import still_frame_args
from ..render.plan import AdBreak, AngleSource, OutputFormat, Segment
from ..store import LocalStore, output_key
from .local import AdRequest, LocalAdGenerator
from .prompt import SceneContext, build_product_ad_prompt

GENERATOR_VERSION = "local-1"


@dataclass(frozen=True)
class AdSlot:
    index: int
    start_s: float
    duration_s: float


def _angle_at(segments: list[Segment], t: float) -> str | None:
    for s in segments:
        if s.start_s <= t < s.end_s:
            return s.video_id
    return segments[-1].video_id if segments else None


def generate_ads(
    cat: Catalog, store: LocalStore, event_id: str, timeline_id: str, slots: list[AdSlot],
    segments: list[Segment], angles: dict[str, AngleSource], fmt: OutputFormat,
) -> list[AdBreak]:
    products = products_repo.event_products(cat, event_id)
    usable = [p for p in products if p.image_key and store.exists(p.image_key)]
    if not slots or not usable:
        return []
    event = events_repo.get_event(cat, event_id)
    gen = LocalAdGenerator()
    breaks = []
    for n, slot in enumerate(slots):
        product = usable[n % len(usable)]
        price = f"${product.price:,.2f}" if product.price is not None else ""
        image = str(store.path_for(product.image_key or ""))
        prompt = build_product_ad_prompt(product.title, event.event_type, slot.duration_s, SceneContext())
        key_src = f"{GENERATOR_VERSION}|{product.id}|{product.title}|{price}|{slot.duration_s}|{slot.start_s}|{fmt}"
        digest = hashlib.sha256(key_src.encode()).hexdigest()[:12]
        key = output_key(event_id, f"ads/slot{slot.index:03d}-{digest}.mp4")
        if not store.exists(key):
            with tempfile.TemporaryDirectory(prefix="ad-") as tmp:
                scene = None
                vid = _angle_at(segments, max(0.0, slot.start_s - 0.5))
                if vid and vid in angles:
                    a = angles[vid]
                    scene = str(Path(tmp) / "scene.png")
                    run_ffmpeg(still_frame_args(a.path, a.source_time(max(0.0, slot.start_s - 0.5)), scene),
                               path=a.path, what="grabbing the scene frame before an ad failed")
                out = Path(tmp) / "ad.mp4"
                gen.generate(AdRequest(slot.index, slot.duration_s, product.title, price, image, scene, prompt),
                             out, width=fmt.width, height=fmt.height, fps=fmt.fps)
                store.put_file(key, out)
            with cat.transaction() as cur:
                cur.execute(
                    "INSERT INTO ads (id, event_id, timeline_id, slot_idx, product_id, backend, object_key, prompt,"
                    " duration_ms, status) VALUES (?, ?, ?, ?, ?, 'local', ?, ?, ?, 'ready')",
                    [new_id("ad"), event_id, timeline_id, slot.index, product.id, key, prompt,
                     int(slot.duration_s * 1000)],
                )
        overlay = f"Sponsored by {product.vendor}" if product.vendor else "Sponsored"
        breaks.append(AdBreak(slot.start_s, slot.duration_s, str(store.path_for(key)), overlay))
    return breaks
