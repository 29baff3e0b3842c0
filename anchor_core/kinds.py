"""The kinds of events and camera angles Anchor knows: plain names, no imports, so the command
line can offer them as choices without opening the catalog (`catalog.status` uses them too)."""

EVENT_TYPES = ("sports", "concert", "wedding", "conference")
ANGLE_TYPES = ("wide", "medium", "closeup", "crowd", "goal", "stage", "other")
