"""Audio sync: every angle's offset and clock drift against the reference, with confidence.

The public face of the stage: other stages import only from here. `Angle`/`EventAngles` are its
read model; `load_angles` is the one rule for which angles take part in the edit."""

from .api import load_angles, load_audio, resolve_reference, sync_auto, sync_event, sync_files, sync_prepared
from .drift import MIN_DRIFT_OVERLAP_S, DriftFit, fit_drift
from .model import EDGE_TOL_S, Angle, EventAngles, SyncResult, place_on_event_clock
from .pair import FINE_RATE, PairResult, align_pair, prepare
from .reference import activity, reference_issue
from .solve import Edge, solve_offsets
from .store import sync_details

__all__ = ["EDGE_TOL_S", "FINE_RATE", "MIN_DRIFT_OVERLAP_S", "Angle", "DriftFit", "Edge", "EventAngles",
           "PairResult", "SyncResult", "activity", "align_pair", "fit_drift", "load_angles", "load_audio",
           "place_on_event_clock", "prepare", "reference_issue", "resolve_reference", "solve_offsets",
           "sync_auto", "sync_details", "sync_event", "sync_files", "sync_prepared"]
