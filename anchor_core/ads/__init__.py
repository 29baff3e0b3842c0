"""Sponsor ads: a product clip for each ad slot of the timeline, made by the configured backend.

The public face of the stage: the render gets `AdBreak`s from `make_ad_breaks`."""

from .api import make_ad_breaks, open_ad_generator
from .local import LocalAdGenerator, wrap_title
from .model import AdBreak, AdGenerator, AdRequest
from .prompt import SceneContext, build_product_ad_prompt
from .store import list_ads

__all__ = ["AdBreak", "AdGenerator", "AdRequest", "LocalAdGenerator", "SceneContext", "build_product_ad_prompt",
           "list_ads", "make_ad_breaks", "open_ad_generator", "wrap_title"]
