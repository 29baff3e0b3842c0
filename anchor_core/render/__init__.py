"""Render: the master video (and reels) from the edit, in parallel chunks joined without re-encoding.

The public face of the stage."""

from ..media import OutputFormat
from .api import EventRender, master_inputs, preview_ads, render_event
from .master import MasterInputs, RenderResult, render_master
from .store import latest_master, list_renders, record_render

__all__ = ["EventRender", "MasterInputs", "OutputFormat", "RenderResult", "latest_master", "list_renders",
           "master_inputs", "preview_ads", "record_render", "render_event", "render_master"]
