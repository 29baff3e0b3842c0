"""Ads for a timeline's slots: products cycle through the event's selection, each clip is
graded toward the scene before its slot, stored under outputs/{event_id}/ads/ and recorded.
The generator is the configured backend (`ANCHOR_ADS`).

A clip's key is a digest of everything that shapes it (slot, product and its image, price,
format, backend), so an unchanged slot reuses its clip; clips of the event that the current
breaks do not use are deleted with their catalog rows, so earlier renders do not pile up.
Selected products the ads cannot show (no image) are said, through `warn`."""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable, Mapping
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
from ..workdir import job_dir
from .model import AdBreak, AdGenerator, AdRequest, AdRotation, AdsWarning, LeftOut
from .price import format_price
from .prompt import SceneContext, build_product_ad_prompt
from .store import forget_ads, record_ad

CLIP_VERSION = "2"  # bump when clips made by the same backend would change (2: image beside the panel)
Warn = Callable[[str], None]


def open_ad_generator(settings: Settings, backend: str | None = None) -> AdGenerator:
    from ..registry import AD_GENERATORS

    return AD_GENERATORS.open(settings, backend)


def _rotation(cat: Catalog, store: ObjectStore, event_id: str) -> tuple[list[products_repo.Product], AdRotation]:
    usable, left_out = [], []
    for p in products_repo.event_products(cat, event_id):
        if not p.image_key:
            left_out.append(LeftOut(p.id, p.title, "has no image (add one in the CSV's image column and import again)"))
        elif not store.exists(p.image_key):
            left_out.append(LeftOut(p.id, p.title, f"has lost its image {p.image_key} from the store (import it again)"))
        else:
            usable.append(p)
    return usable, AdRotation(tuple(p.id for p in usable), tuple(left_out))


def ad_rotation(cat: Catalog, store: ObjectStore, event_id: str) -> AdRotation:
    """Which of the event's selected products the ads cycle through, and which they leave out."""
    return _rotation(cat, store, event_id)[1]


def clip_key(event_id: str, slot_index: int, parts: tuple[object, ...]) -> str:
    """`outputs/{event_id}/ads/slotNNN-<digest>.mp4`: the same inputs give the same key."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:12]
    return output_key(event_id, f"ads/slot{slot_index:03d}-{digest}.mp4")


def _default_warn(message: str) -> None:
    warnings.warn(message, AdsWarning, stacklevel=3)


def make_ad_breaks(cat: Catalog, store: ObjectStore, settings: Settings, event_id: str, tl: Timeline,
                   angles: Mapping[str, Angle], fmt: OutputFormat, *, warn: Warn | None = None) -> list[AdBreak]:
    """One clip per ad slot of the timeline (made once, then reused), ready for the render.

    Selected products without a usable image are left out and `warn` is told (default: an
    `AdsWarning`); the event's clips not used by these breaks are deleted afterwards."""
    say = warn or _default_warn
    usable, rotation = _rotation(cat, store, event_id)
    if tl.ad_slots:
        for message in rotation.warnings:
            say(message)
        if rotation.left_out and not usable:
            say(f"no selected sponsor product has an image: the {len(tl.ad_slots)} ad slot(s) stay footage")
    breaks: list[AdBreak] = []
    if tl.ad_slots and usable:
        breaks = _fill_slots(cat, store, settings, event_id, tl, angles, fmt, usable)
    remove_stale_clips(cat, store, event_id, {b.object_key for b in breaks})
    return breaks


def _fill_slots(cat: Catalog, store: ObjectStore, settings: Settings, event_id: str, tl: Timeline,
                angles: Mapping[str, Angle], fmt: OutputFormat, usable: list[products_repo.Product]) -> list[AdBreak]:
    event = events_repo.get_event(cat, event_id)
    images = {p.id: _image_digest(store, p.image_key or "") for p in usable}
    gen: AdGenerator | None = None
    breaks = []
    for n, slot in enumerate(tl.ad_slots):
        start_s, duration_s = slot.timestamp_ms / 1000.0, slot.duration_ms / 1000.0
        product = usable[n % len(usable)]
        price = format_price(product.price, product.currency)
        prompt = build_product_ad_prompt(product.title, event.event_type, duration_s, SceneContext())
        key = clip_key(event_id, n, (settings.ad_backend, CLIP_VERSION, product.id, product.title, price,
                                     images[product.id], duration_s, start_s, fmt))
        if not store.exists(key):
            gen = gen or open_ad_generator(settings)
            with job_dir(settings.tmp_root, "ad") as tmp:
                scene = _scene_frame(store, tl, angles, start_s, tmp / "scene.png", settings.ffmpeg)
                out = tmp / "ad.mp4"
                image = str(store.path_for(product.image_key or ""))
                gen.generate(AdRequest(n, duration_s, product.title, price, image, scene, prompt),
                             out, width=fmt.width, height=fmt.height, fps=fmt.fps)
                store.put_file(key, out)
            record_ad(cat, event_id=event_id, timeline_id=tl.timeline_id, slot_idx=n, product_id=product.id,
                      backend=gen.name, object_key=key, prompt=prompt, duration_ms=slot.duration_ms)
        overlay = f"Sponsored by {product.vendor}" if product.vendor else "Sponsored"
        breaks.append(AdBreak(start_s, duration_s, str(store.path_for(key)), overlay, object_key=key))
    return breaks


def remove_stale_clips(cat: Catalog, store: ObjectStore, event_id: str, keep: set[str]) -> list[str]:
    """Delete the event's ad clips (objects and catalog rows) that are not in `keep`; the keys."""
    prefix = output_key(event_id, "ads") + "/"
    stale = [k for k in store.list(prefix) if k not in keep]
    for key in stale:
        store.delete(key)
    forget_ads(cat, event_id, keep)
    return stale


def _image_digest(store: ObjectStore, key: str) -> str:
    """The image's content, so a re-imported picture under the same key makes a new clip."""
    h = hashlib.sha256()
    with store.open(key) as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


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
