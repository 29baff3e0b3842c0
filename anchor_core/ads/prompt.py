"""The platform's prompt for a generated product ad (used by the Veo backend)."""

from __future__ import annotations

from dataclasses import dataclass

_STYLE = {
    "sports": "Sports, athletic, dynamic",
    "concert": "Live music, vibrant, stage lighting",
    "wedding": "Elegant, warm, romantic",
    "conference": "Clean, modern, professional",
}


@dataclass(frozen=True)
class SceneContext:
    """What the scene before the slot looks like, from the feature table."""

    setting: str = "Outdoor grass field, daylight, natural lighting"
    colours: str = "green grass, blue sky"
    camera_motion: str = "static"
    action_intensity: float = 3.0
    crowd_energy: float = 0.3


def mood_for(ctx: SceneContext) -> str:
    if ctx.action_intensity >= 7 or ctx.crowd_energy >= 0.7:
        return "Energetic, professional, seamless"
    if ctx.action_intensity >= 4:
        return "Upbeat, confident, seamless"
    return "Calm, polished, seamless"


def build_product_ad_prompt(product_title: str, event_type: str, duration_s: float, ctx: SceneContext) -> str:
    """Style, setting, colours, camera motion, duration and mood, as the platform's prompt."""
    title = " ".join(product_title.split())[:200]
    motion = {"pan": "Smooth pan right motion", "static": "Slow push-in", "fast action": "Quick dynamic orbit"}.get(
        ctx.camera_motion, f"Smooth {ctx.camera_motion} motion"
    )
    return (
        f"Professional product showcase for {title}.\n\n"
        f"STYLE: {_STYLE.get(event_type, 'Professional, polished')}\n"
        f"SETTING: {ctx.setting}\n"
        f"COLORS: Match surrounding environment - {ctx.colours}\n"
        f"CAMERA: {motion}\n"
        f"DURATION: {duration_s:g} seconds\n"
        f"MOOD: {mood_for(ctx)}\n\n"
        "Show product prominently with clean composition.\n"
        f"Maintain visual continuity with {event_type} event."
    )
