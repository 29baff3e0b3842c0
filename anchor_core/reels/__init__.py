"""Personal highlight reels: search the event's moments, rank by vibe, fit the budget, render.

The public face of the stage; the search backend is chosen by `ANCHOR_SEARCH`."""

from .api import ReelResult, make_reel, open_search, plan_reel, reel_inputs, search_takes_faces
from .face import MAX_FACE_BYTES, store_face
from .model import MomentSearch, SearchRequest
from .pick import pick_moments
from .rank import VIBES, Moment, query_mask, reel_length, vibe_scores
from .store import list_reels

__all__ = ["MAX_FACE_BYTES", "VIBES", "Moment", "MomentSearch", "ReelResult", "SearchRequest", "list_reels",
           "make_reel", "open_search", "pick_moments", "plan_reel", "query_mask", "reel_inputs", "reel_length",
           "search_takes_faces", "store_face", "vibe_scores"]
