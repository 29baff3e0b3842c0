"""Ads for a timeline's slots: products cycle through the event's selection, each slot's scene
is measured (ads.scene), the configured backend makes the clip, it is graded toward the scene's
reference frame, stored under outputs/{event_id}/ads/ and recorded with its prompt, context,
backend and any fallback reason. The generator is the configured backend (`ANCHOR_ADS`).

A paid backend (Veo) is asked only when confirmed (`anchor ads EVENT --yes`, or
ANCHOR_VEO_AUTOGENERATE=true), within the event's cap; when it is not asked, or fails, the slot
gets the local clip and the reason. A clip's key is a digest of everything that shapes it, so an
unchanged slot reuses its clip (a render never regenerates); clips of the event that the current
breaks do not use are deleted with their catalog rows. Selected products the ads cannot show
(no image) are said, through `warn`."""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..catalog import Catalog
from ..catalog import events as events_repo
from ..catalog import products as products_repo
from ..config import Settings
from ..errors import ConfigError, MediaError
from ..media import OutputFormat
from ..store import ObjectStore, output_key
from ..sync import Angle
from ..timeline import AdSlot, Timeline
from ..workdir import job_dir
from .grade import grade_clip
from .model import AdBreak, AdGenerationFailed, AdGenerator, AdRequest, AdRotation, AdsWarning, LeftOut
from .price import format_price
from .prompt import NEGATIVE_PROMPT, build_product_ad_prompt
from .scene import measure_scene
from .store import CatalogJournal, ad_by_key, forget_ads, generated_count, record_ad, set_fallback_reason
from .veo import aspect_for, generation_key, veo_duration

CLIP_VERSION = "3"  # bump when clips made by the same backend would change (3: graded in CIELAB after making)
PAID_BACKENDS = frozenset({"veo"})
DEFAULT_MAX_CLIPS = 8  # per event (ANCHOR_VEO_MAX_CLIPS)
DEFAULT_PRICE_PER_S = 0.10  # USD per generated second, an estimate (ANCHOR_VEO_PRICE_PER_S)
Warn = Callable[[str], None]
Progress = Callable[[float, float, str], None]


@dataclass(frozen=True)
class SlotReport:
    """One slot as `anchor ads` prints it and the workbench shows it."""

    slot_index: int
    start_s: float
    duration_s: float
    product_id: str
    product_title: str  # untrusted: escape when shown
    prompt: str
    negative_prompt: str
    context: dict[str, Any]
    requested_backend: str
    backend: str = ""  # who made the clip ("" = nothing made: a plan)
    fallback_reason: str = ""
    object_key: str = ""
    reused: bool = False
    needs_generation: bool = False  # plan: a paid clip would be generated
    ad_break: AdBreak | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("slot_index", "start_s", "duration_s", "product_id", "product_title",
                                               "requested_backend", "backend", "fallback_reason", "object_key",
                                               "reused", "needs_generation", "prompt", "negative_prompt", "context")}


def open_ad_generator(settings: Settings, backend: str | None = None, **kwargs: Any) -> AdGenerator:
    from ..registry import AD_GENERATORS

    return AD_GENERATORS.open(settings, backend, **kwargs)


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
                   angles: Mapping[str, Angle], fmt: OutputFormat, *, warn: Warn | None = None,
                   confirmed: bool = False, progress: Progress | None = None) -> list[AdBreak]:
    """One clip per ad slot of the timeline (made once, then reused), ready for the render.

    A paid backend (Veo) generates only when `confirmed` (`anchor ads EVENT --yes`) or with
    ANCHOR_VEO_AUTOGENERATE=true; otherwise, and on any failure, the slot gets the local clip and
    the reason is recorded. Selected products without a usable image are left out and `warn` is
    told (default: an `AdsWarning`); the event's clips not used by these breaks are deleted."""
    return [r.ad_break for r in fill_ad_slots(cat, store, settings, event_id, tl, angles, fmt, warn=warn,
                                              confirmed=confirmed, progress=progress) if r.ad_break]


def fill_ad_slots(cat: Catalog, store: ObjectStore, settings: Settings, event_id: str, tl: Timeline,
                  angles: Mapping[str, Angle], fmt: OutputFormat, *, warn: Warn | None = None,
                  confirmed: bool = False, plan_only: bool = False,
                  progress: Progress | None = None) -> list[SlotReport]:
    """Per slot: the clip (made or reused), who made it, who was asked and why they differ.
    `plan_only` makes nothing and says which slots a paid backend would generate."""
    say = warn or _default_warn
    usable, rotation = _rotation(cat, store, event_id)
    if tl.ad_slots:
        for message in rotation.warnings:
            say(message)
        if rotation.left_out and not usable:
            say(f"no selected sponsor product has an image: the {len(tl.ad_slots)} ad slot(s) stay footage")
    reports: list[SlotReport] = []
    if tl.ad_slots and usable:
        paid = confirmed or _truthy(settings.option("ANCHOR_VEO_AUTOGENERATE"))
        filler = _SlotFiller(cat, store, settings, event_id, tl, angles, fmt, usable, paid=paid, plan_only=plan_only,
                             progress=progress)
        reports = [filler.fill(n, slot) for n, slot in enumerate(tl.ad_slots)]
    if not plan_only:
        remove_stale_clips(cat, store, event_id, {r.object_key for r in reports if r.ad_break})
    return reports


def _truthy(v: str | None) -> bool:
    return (v or "").lower() in ("1", "true", "yes", "on")


def estimate_cost(settings: Settings, reports: list[SlotReport]) -> tuple[int, float, float]:
    """(clips to generate, seconds billed, estimated cost in USD at ANCHOR_VEO_PRICE_PER_S)."""
    todo = [r for r in reports if r.needs_generation]
    seconds = float(sum(veo_duration(r.duration_s) for r in todo))
    raw = settings.option("ANCHOR_VEO_PRICE_PER_S") or str(DEFAULT_PRICE_PER_S)
    try:
        price = float(raw)
    except ValueError as exc:
        raise ConfigError(f"ANCHOR_VEO_PRICE_PER_S={raw!r} is not a number (US dollars per second)") from exc
    return len(todo), seconds, round(seconds * price, 2)


def _cap(settings: Settings) -> int:
    raw = settings.option("ANCHOR_VEO_MAX_CLIPS") or str(DEFAULT_MAX_CLIPS)
    try:
        return max(0, int(raw))
    except ValueError as exc:
        raise ConfigError(f"ANCHOR_VEO_MAX_CLIPS={raw!r} is not a whole number") from exc


class _SlotFiller:
    """The per-slot work of `fill_ad_slots`, with what the slots share (generators, digests)."""

    def __init__(self, cat: Catalog, store: ObjectStore, settings: Settings, event_id: str, tl: Timeline,
                 angles: Mapping[str, Angle], fmt: OutputFormat, usable: list[products_repo.Product], *,
                 paid: bool, plan_only: bool, progress: Progress | None) -> None:
        self.cat, self.store, self.settings, self.event_id, self.tl = cat, store, settings, event_id, tl
        self.angles, self.fmt, self.usable, self.paid, self.plan_only = angles, fmt, usable, paid, plan_only
        self.progress = progress
        self.event = events_repo.get_event(cat, event_id)
        self.images = {p.id: _image_digest(store, p.image_key or "") for p in usable}
        self.paths = {a.video_id: str(store.path_for(a.object_key)) for a in angles.values()}
        self.requested = settings.ad_backend
        self.journal = CatalogJournal(cat, event_id)
        self.aspect = aspect_for(fmt.width, fmt.height)
        self._gen: AdGenerator | None = None
        self._gen_error = ""
        self._local: AdGenerator | None = None

    def fill(self, n: int, slot: AdSlot) -> SlotReport:
        start_s, duration_s = slot.timestamp_ms / 1000.0, slot.duration_ms / 1000.0
        product = self.usable[n % len(self.usable)]
        price = format_price(product.price, product.currency)
        with job_dir(self.settings.tmp_root, "ad") as tmp:
            ctx, ref = measure_scene(self.cat, self.paths, self.tl, self.angles, start_s, self.event.event_type, tmp,
                                     self.settings.ffmpeg)
            prompt = build_product_ad_prompt(product.title, self.event.event_type, duration_s, ctx)
            context = dict(ctx.to_dict(), reference_time_s=round(max(0.0, start_s - 0.5), 3))
            ctx_digest = hashlib.sha256(json.dumps(context, sort_keys=True).encode()).hexdigest()[:12]
            base = SlotReport(n, start_s, duration_s, product.id, product.title, prompt, NEGATIVE_PROMPT, context,
                              self.requested)
            req = AdRequest(n, duration_s, product.title, price, str(self.store.path_for(product.image_key or "")),
                            None, prompt, NEGATIVE_PROMPT, self.aspect)
            reason = ""
            if self.requested in PAID_BACKENDS:
                gkey = generation_key(self.settings.option, prompt=prompt, negative_prompt=NEGATIVE_PROMPT,
                                      image_digest=self.images[product.id], duration_s=duration_s,
                                      aspect_ratio=self.aspect)
                key = clip_key(self.event_id, n, (self.requested, CLIP_VERSION, gkey, duration_s, self.fmt, ctx_digest))
                if self.store.exists(key):
                    return self._reused(base, key, product, self.requested)
                reason = self._refusal(gkey, self.paid or self.plan_only)
                if self.plan_only:
                    return replace(base, needs_generation=not reason, fallback_reason=reason)
                if not reason:
                    made = self._paid(base, replace(req, cache_key=gkey), key, ref, tmp, product, slot)
                    if isinstance(made, SlotReport):
                        return made
                    reason = made
            key = clip_key(self.event_id, n, ("local", CLIP_VERSION, product.id, product.title, price,
                                              self.images[product.id], duration_s, start_s, self.fmt, ctx_digest))
            if self.plan_only:
                return replace(base, fallback_reason=reason)
            if self.store.exists(key):
                if reason:
                    set_fallback_reason(self.cat, self.event_id, key, reason, self.requested)
                return self._reused(base, key, product, "local", reason)
            self._local = self._local or open_ad_generator(self.settings, "local")
            return self._make(self._local, base, req, key, ref, tmp, product, slot, reason)

    def _refusal(self, gkey: str, paid: bool) -> str:
        """Why the paid backend is not asked for this slot ("" = ask it)."""
        if not paid:
            return (f"{self.requested} clips are paid and were not confirmed: run `anchor ads {self.event_id} --yes`"
                    " (or set ANCHOR_VEO_AUTOGENERATE=true)")
        if self.journal.find(gkey):
            return ""  # already paid for: resume it
        cap = _cap(self.settings)
        if generated_count(self.cat, self.event_id) >= cap:
            return f"the event's cap of {cap} generated clip(s) is reached (ANCHOR_VEO_MAX_CLIPS)"
        return ""

    def _paid(self, base: SlotReport, req: AdRequest, key: str, ref: str | None, tmp: Path,
              product: products_repo.Product, slot: AdSlot) -> SlotReport | str:
        """The paid clip, or the reason there is none."""
        if self._gen is None and not self._gen_error:
            try:
                self._gen = open_ad_generator(self.settings, journal=self.journal, progress=self.progress)
            except ConfigError as exc:
                self._gen_error = str(exc)
        if self._gen is None:
            return self._gen_error
        try:
            return self._make(self._gen, base, req, key, ref, tmp, product, slot, "")
        except AdGenerationFailed as exc:
            return str(exc)
        except MediaError as exc:
            return f"{self.requested}'s clip could not be used: {str(exc).splitlines()[0]}"

    def _make(self, gen: AdGenerator, base: SlotReport, req: AdRequest, key: str, ref: str | None, tmp: Path,
              product: products_repo.Product, slot: AdSlot, reason: str) -> SlotReport:
        raw, out = tmp / "raw.mp4", tmp / "ad.mp4"
        gen.generate(req, raw, width=self.fmt.width, height=self.fmt.height, fps=self.fmt.fps)
        grade = grade_clip(raw, out, reference=ref, width=self.fmt.width, height=self.fmt.height, fps=self.fmt.fps,
                           duration_s=req.duration_s, ffmpeg=self.settings.ffmpeg)
        self.store.put_file(key, out)
        context = dict(base.context, grade=grade.to_dict() if grade else None)
        record_ad(self.cat, event_id=self.event_id, timeline_id=self.tl.timeline_id, slot_idx=base.slot_index,
                  product_id=product.id, backend=gen.name, object_key=key, prompt=base.prompt,
                  duration_ms=slot.duration_ms, requested_backend=self.requested, fallback_reason=reason,
                  negative_prompt=base.negative_prompt, context=context)
        return replace(base, backend=gen.name, fallback_reason=reason, object_key=key, context=context,
                       ad_break=self._break(key, product, base, gen.name, reason))

    def _reused(self, base: SlotReport, key: str, product: products_repo.Product, made_by: str,
                reason: str | None = None) -> SlotReport:
        """A clip already in the store (same inputs): its row says who made it and why."""
        row = ad_by_key(self.cat, self.event_id, key)
        backend = row.backend if row else made_by
        if reason is None:
            reason = row.fallback_reason if row else ""
        context = row.context if row and row.context else base.context
        return replace(base, backend=backend, fallback_reason=reason, object_key=key, context=context, reused=True,
                       ad_break=self._break(key, product, base, backend, reason))

    def _break(self, key: str, product: products_repo.Product, base: SlotReport, backend: str,
               reason: str) -> AdBreak:
        overlay = f"Sponsored by {product.vendor}" if product.vendor else "Sponsored"
        return AdBreak(base.start_s, base.duration_s, str(self.store.path_for(key)), overlay, object_key=key,
                       backend=backend, fallback_reason=reason)


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


def event_ads(cat: Catalog, store: ObjectStore, settings: Settings, event_id: str, fmt: OutputFormat, *,
              confirmed: bool = False, plan_only: bool = False, warn: Warn | None = None,
              progress: Progress | None = None) -> list[SlotReport]:
    """`fill_ad_slots` for the event's latest timeline and synced angles (`anchor ads`, job `ads`)."""
    from ..sync import load_angles
    from ..timeline import load_latest_timeline

    tl = load_latest_timeline(cat, event_id)
    angles = load_angles(cat, event_id)
    return fill_ad_slots(cat, store, settings, event_id, tl, angles.by_id(), fmt, warn=warn, confirmed=confirmed,
                         plan_only=plan_only, progress=progress)
