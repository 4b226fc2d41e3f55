"""The colours of every curve chart, shared by the native workbook charts and the PNG plots so
that a scenario has the same colour in both.

Twelve colours told apart on screen and in print (Tableau 10 and two more), then evenly spaced
hues (golden-ratio steps) for any further series; the policy target lines are greys with
different dashes, so they never take a scenario's colour.
"""
from __future__ import annotations

import colorsys

TARGETS = (0.70, 0.60, 0.50)
TARGET_COLORS = ("404040", "7F7F7F", "A6A6A6")
TARGET_DASHES = ("dash", "lgDash", "sysDash")            # DrawingML names (the PNG uses its own)
SERIES_COLORS = ("4E79A7", "F28E2B", "E15759", "59A14F", "B07AA1", "76B7B2", "EDC948", "9C755F",
                 "FF9DA7", "17BECF", "1B1B1B", "BCBD22")


def series_color(k: int) -> str:
    """A distinct colour (RRGGBB) for series ``k``."""
    if k < len(SERIES_COLORS):
        return SERIES_COLORS[k]
    r, g, b = colorsys.hsv_to_rgb(((k - len(SERIES_COLORS)) * 0.61803) % 1.0, 0.75, 0.7)
    return f"{int(r * 255):02X}{int(g * 255):02X}{int(b * 255):02X}"
