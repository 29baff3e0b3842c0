"""Audio sync: every angle's offset and clock drift against the reference, with confidence.

The public face of the stage: other stages import only from here. `Angle`/`EventAngles` are its
read model; `load_angles` is the one rule for which angles take part in the edit."""

from .api import load_angles, load_audio, sync_event, sync_files, sync_prepared
from .model import EDGE_TOL_S, Angle, EventAngles, SyncResult, place_on_event_clock
from .pair import FINE_RATE, PairResult, align_pair, prepare
from .solve import Edge, solve_offsets
from .store import sync_details

__all__ = ["EDGE_TOL_S", "FINE_RATE", "Angle", "Edge", "EventAngles", "PairResult", "SyncResult", "align_pair", "load_angles",
           "load_audio", "place_on_event_clock", "prepare", "solve_offsets", "sync_details", "sync_event",
           "sync_files", "sync_prepared"]
