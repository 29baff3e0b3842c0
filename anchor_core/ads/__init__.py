"""Sponsor ads: a product clip for each ad slot of the timeline, made by the configured backend.

The public face of the stage: the render gets `AdBreak`s from `make_ad_breaks`; `ad_rotation`
says which selected products the ads show and which they leave out."""

from .api import ad_rotation, make_ad_breaks, open_ad_generator, remove_stale_clips
from .local import LocalAdGenerator
from .model import AdBreak, AdGenerator, AdRequest, AdRotation, AdsWarning, LeftOut
from .price import format_price
from .prompt import SceneContext, build_product_ad_prompt
from .store import list_ads

__all__ = ["AdBreak", "AdGenerator", "AdRequest", "AdRotation", "AdsWarning", "LeftOut", "LocalAdGenerator",
           "SceneContext", "ad_rotation", "build_product_ad_prompt", "format_price", "list_ads", "make_ad_breaks",
           "open_ad_generator", "remove_stale_clips"]
