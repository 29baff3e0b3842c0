"""What a button would spend on a paid service, and the confirmation the notebooks ask for.

The CLI asks for `--yes`; a notebook shows the estimate beside the button and a checkbox that
must be ticked first. Local backends cost nothing and show nothing.
"""

from __future__ import annotations

from typing import Any

from anchor_core.config import Settings


def analysis_cost(settings: Settings, event_id: str) -> dict[str, Any] | None:
    """TwelveLabs' indexed minutes for the angles not indexed yet; None when nothing is billed."""
    if not event_id or settings.analyzer_backend != "twelvelabs":
        return None
    from anchor_core.catalog import Catalog
    from anchor_core.twelvelabs.upload import cost_estimate

    with Catalog(settings.catalog_path) as cat:
        cost = cost_estimate(cat, event_id)
    return cost if cost["to_index"] else None


def ads_paid(settings: Settings) -> bool:
    """Whether the ad generator bills per generated second (Veo)."""
    return settings.ad_backend == "veo"


def analysis_label(cost: dict[str, Any]) -> str:
    return (f"Index {cost['to_index']} of {cost['angles']} angle(s) on TwelveLabs: about "
            f"{cost['indexed_minutes']:.1f} indexed minute(s), billed to your key")


def analysis_backends(settings: Settings, event_id: str) -> dict[str, str]:
    """video id → the backend that filled its features (local, twelvelabs, …)."""
    from anchor_core.analysis import feature_backends
    from anchor_core.catalog import Catalog

    with Catalog(settings.catalog_path) as cat:
        return feature_backends(cat, event_id)
