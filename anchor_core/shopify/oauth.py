"""The OAuth code grant's pure checks: the shop domain, the callback's HMAC and timestamp, the
authorize URL (`../shared/reference/integrations-security.md` §1.1-1.2).

Nothing here touches the network or the catalog; `anchor_core.shopify.install` puts the steps in
their order around the state nonce and the token exchange.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from urllib.parse import parse_qsl, urlencode

from ..errors import ValidationError
from .config import ShopifyConfig

SHOP = re.compile(r"[a-z0-9][a-z0-9-]*\.myshopify\.com")
MAX_SHOP = 255
TIMESTAMP_SKEW_S = 300
STATE_TTL_S = 600
STATE_BYTES = 32


class Refusal(ValidationError):
    """A callback, install or webhook refused: the message is safe to show (no secret, no token)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def validate_shop(value: object) -> str:
    """The shop's `*.myshopify.com` domain, lowercased, or Refusal. `fullmatch`, never `$`
    (which would let `x.myshopify.com\\n` through); nothing but this value builds a URL."""
    if not isinstance(value, str) or not value or len(value) > MAX_SHOP:
        raise Refusal("the shop must be the store's domain, like your-store.myshopify.com")
    shop = value.lower()
    if not SHOP.fullmatch(shop):
        shown = "".join(ch if ch.isprintable() else "?" for ch in value[:80])
        raise Refusal(f"{shown!r} is not a Shopify store domain: give the one that ends in .myshopify.com"
                      " (Shopify admin > Settings > Domains)")
    return shop


def _escape(text: str, *, key: bool) -> str:
    text = text.replace("%", "%25").replace("&", "%26")
    return text.replace("=", "%3D") if key else text


def signed_message(params: list[tuple[str, str]]) -> str:
    """Every parameter but `hmac` and `signature`, URL-decoded, sorted by key, `key=value` joined
    by `&` (with Shopify's escaping of `%`, `&` and, in keys, `=`)."""
    kept = sorted((k, v) for k, v in params if k not in ("hmac", "signature"))
    return "&".join(f"{_escape(k, key=True)}={_escape(v, key=False)}" for k, v in kept)


def callback_hmac(secret: str, params: list[tuple[str, str]]) -> str:
    """The lowercase hex HMAC-SHA256 Shopify puts in `hmac`."""
    return hmac.new(secret.encode(), signed_message(params).encode(), hashlib.sha256).hexdigest()


def parse_query(query: str) -> list[tuple[str, str]]:
    """The callback's parameters, URL-decoded; a repeated key is refused (which one was signed?)."""
    try:
        params = parse_qsl(query, keep_blank_values=True, strict_parsing=False, max_num_fields=64)
    except ValueError:
        raise Refusal("the callback has too many parameters") from None
    keys = [k for k, _ in params]
    if len(keys) != len(set(keys)):
        raise Refusal("the callback repeats a parameter; start the installation again")
    return params


def verify_callback_hmac(secret: str, params: list[tuple[str, str]]) -> None:
    given = dict(params).get("hmac", "")
    expected = callback_hmac(secret, params)
    if not hmac.compare_digest(given.lower().encode(), expected.encode()) or not given:
        raise Refusal("the callback's signature (hmac) is not Shopify's: start the installation again from"
                      " your store", 401)


def check_timestamp(params: dict[str, str], now: float) -> None:
    text = params.get("timestamp", "")
    if not re.fullmatch(r"[0-9]{1,12}", text):
        raise Refusal("the callback has no valid timestamp; start the installation again")
    if abs(now - int(text)) > TIMESTAMP_SKEW_S:
        raise Refusal(f"the callback is more than {TIMESTAMP_SKEW_S // 60} minutes old or from the future (check"
                      " the server's clock); start the installation again")


def authorize_url(cfg: ShopifyConfig, shop: str, state: str) -> str:
    """Where the brand's browser goes to approve the app (offline access: no per-user option)."""
    query = urlencode({"client_id": cfg.api_key, "scope": ",".join(cfg.scopes), "redirect_uri": cfg.redirect_uri,
                       "state": state})
    return cfg.admin_url(validate_shop(shop), "/admin/oauth/authorize") + "?" + query


def scopes_cover(granted: str, needed: tuple[str, ...]) -> bool:
    """Whether Shopify's comma-separated `scope` grants what the app needs (write implies read)."""
    have = {s.strip() for s in granted.split(",") if s.strip()}
    have |= {"read_" + s[len("write_"):] for s in have if s.startswith("write_")}
    return set(needed) <= have


def nonce_digest(nonce: str) -> str:
    """The catalog keeps only this: a leaked catalog gives no usable state."""
    return hashlib.sha256(nonce.encode()).hexdigest()
