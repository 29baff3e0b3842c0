"""Audio sync: every angle's offset and clock drift against the reference, with confidence."""

from .api import SyncResult, sync_files, sync_prepared
from .pair import FINE_RATE, PairResult, align_pair, prepare
from .solve import Edge, solve_offsets

__all__ = ["FINE_RATE", "Edge", "PairResult", "SyncResult", "align_pair", "prepare", "solve_offsets",
           "sync_files", "sync_prepared"]
