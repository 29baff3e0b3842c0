"""One ad slot as the workbench shows it: which backend made the clip (and why another was not
used), the scene context measured before the slot, and the prompt it was built from.

Everything here comes from the catalog and may hold text from a product feed: all of it is
escaped; colours are shown only from a strict hex pattern."""

from __future__ import annotations

import html
import json
import re
from typing import Any

_HEX = re.compile(r"#[0-9a-fA-F]{6}")


def _context(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return raw
    try:
        value = json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _swatches(palette: Any) -> str:
    out = []
    for item in palette if isinstance(palette, list | tuple) else []:
        if not isinstance(item, list | tuple) or len(item) < 2:
            continue
        name, hex_ = str(item[0]), str(item[1])
        if not _HEX.fullmatch(hex_):
            continue
        out.append(f'<span title="{html.escape(hex_)}" style="display:inline-block;padding:1px 6px;margin:1px;'
                   f'border:1px solid #8888;border-radius:3px"><span style="display:inline-block;width:10px;'
                   f'height:10px;background:{hex_};margin-right:4px"></span>{html.escape(name)}'
                   f' <code>{html.escape(hex_)}</code></span>')
    return "".join(out)


def ad_card(row: dict[str, Any]) -> str:
    """HTML for one row of `list_ads`: backend, fallback reason, scene context and prompt."""
    e = html.escape
    ctx = _context(row.get("context"))
    used, asked = str(row.get("backend") or "local"), str(row.get("requested_backend") or row.get("backend") or "")
    head = f"<b>Slot {int(row.get('slot_idx') or 0)}</b> — {e(str(row.get('title') or 'no product'))}"
    made = f"made by <b>{e(used)}</b>" + (f" (asked for {e(asked)})" if asked and asked != used else "")
    reason = row.get("fallback_reason")
    why = (f'<div style="color:#b00020">fallback: {e(str(reason))}</div>' if reason else "")
    facts = [(k, ctx.get(k)) for k in ("scene_type", "setting", "camera_motion", "style")]
    if ctx.get("pan_direction"):
        facts.append(("pan", f"{ctx['pan_direction']} at {float(ctx.get('pan_speed') or 0):.2f} frame widths/s"))
    rows = "".join(f"<tr><td>{e(k.replace('_', ' '))}</td><td>{e(str(v))}</td></tr>" for k, v in facts if v)
    palette = _swatches(ctx.get("palette"))
    prompt = str(row.get("prompt") or "")
    negative = str(row.get("negative_prompt") or "")
    return (f'<div class="anchor-ad" style="margin:6px 0">{head}<div>{made}</div>{why}'
            f"<table>{rows}</table>{f'<div>palette: {palette}</div>' if palette else ''}"
            f"<details><summary>prompt</summary><pre style='white-space:pre-wrap'>{e(prompt)}</pre>"
            f"{f'<p>negative: {e(negative)}</p>' if negative else ''}</details></div>")
