"""Prices as an ad shows them, in the product's own currency.

A few currencies read best with their symbol in front ("$1,299.00", "€24.50", "£9.99",
"¥1,299"); every other one gets its ISO code after the amount ("1,299.00 CHF"), so "$" never
silently stands for a dollar that is not the US one. Minor units follow ISO 4217 for the
currencies that do not use two."""

from __future__ import annotations

import math

SYMBOLS = {"USD": "$", "EUR": "\u20ac", "GBP": "\u00a3", "JPY": "\u00a5"}
MINOR_UNITS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "HUF": 2, "BHD": 3, "KWD": 3, "OMR": 3,
               "JOD": 3, "TND": 3}
DEFAULT_CURRENCY = "USD"


def format_price(amount: float | None, currency: str | None = None) -> str:
    """'' for no (or no usable) price; otherwise the amount with thousands separators."""
    if amount is None or not math.isfinite(amount) or amount < 0:
        return ""
    code = (currency or DEFAULT_CURRENCY).upper()
    text = f"{amount:,.{MINOR_UNITS.get(code, 2)}f}"
    symbol = SYMBOLS.get(code)
    return f"{symbol}{text}" if symbol else f"{text} {code}"
