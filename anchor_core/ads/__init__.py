"""Sponsor ads: a product clip for each ad slot of the timeline, made by the configured backend.

The public face of the stage: the render gets `AdBreak`s from `make_ad_breaks`; `ad_rotation`
says which selected products the ads show and which they leave out; `fill_ad_slots` says per
slot who made the clip, from which prompt and scene context, and why a paid backend fell back."""

from .api import (
    SlotReport,
    ad_rotation,
    estimate_cost,
    event_ads,
    fill_ad_slots,
    make_ad_breaks,
    open_ad_generator,
    remove_stale_clips,
)
from .grade import GradeResult, LabStats, clip_stats, delta_e, grade_clip, image_stats
from .local import LocalAdGenerator
from .model import AdBreak, AdGenerationFailed, AdGenerator, AdRequest, AdRotation, AdsWarning, LeftOut
from .palette import PaletteColour, dominant_palette
from .price import format_price
from .prompt import NEGATIVE_PROMPT, SceneContext, build_product_ad_prompt, clean_product_text
from .store import list_ads, operations

__all__ = ["NEGATIVE_PROMPT", "AdBreak", "AdGenerationFailed", "AdGenerator", "AdRequest", "AdRotation",
           "AdsWarning", "GradeResult", "LabStats", "LeftOut", "LocalAdGenerator", "PaletteColour", "SceneContext",
           "SlotReport", "ad_rotation", "build_product_ad_prompt", "clean_product_text", "clip_stats", "delta_e",
           "dominant_palette", "estimate_cost", "event_ads", "fill_ad_slots", "format_price", "grade_clip", "image_stats",
           "list_ads", "make_ad_breaks", "open_ad_generator", "operations", "remove_stale_clips"]
