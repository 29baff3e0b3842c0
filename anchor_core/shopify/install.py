"""Install and callback, the checks in their order (`integrations-security.md` §1.2):

1. the HMAC of every other parameter, with the client secret, in constant time;
2. the timestamp within ±5 minutes;
3. the state nonce: looked up and deleted at once (single use, even when a later check fails),
   not older than 10 minutes, issued for this very shop;
4. the shop domain, strictly (`fullmatch`), and only then a request to it;
5. the code exchanged for an expiring offline token, whose scope must cover `read_products`.

A refusal raises `Refusal` (a 4xx and a plain message) and stores nothing: the store row is
written only after the last check, in one transaction.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from ..catalog import Catalog
from ..errors import ValidationError
from . import store as rows
from .config import ShopifyConfig
from .crypto import TokenCipher
from .oauth import (
    STATE_BYTES,
    STATE_TTL_S,
    Refusal,
    authorize_url,
    check_timestamp,
    nonce_digest,
    parse_query,
    scopes_cover,
    validate_shop,
    verify_callback_hmac,
)
from .tokens import ShopifyError, exchange_code, utcnow

MAX_OUTSTANDING_STATES = 1000


def begin_install(cat: Catalog, cfg: ShopifyConfig, shop: object, *, event_id: str | None = None,
                  now: datetime | None = None) -> str:
    """A new single-use state for the shop, and the authorize URL to send the browser to."""
    domain = validate_shop(shop)
    nonce = secrets.token_urlsafe(STATE_BYTES)
    meta = {"event_id": event_id} if event_id else {}
    try:
        rows.issue_state(cat, nonce_digest(nonce), domain, meta, now or utcnow(), STATE_TTL_S, MAX_OUTSTANDING_STATES)
    except ValidationError as exc:
        raise Refusal(str(exc), 429) from None
    return authorize_url(cfg, domain, nonce)


@dataclass(frozen=True)
class Installed:
    store: rows.ShopifyStore
    event_id: str | None  # the organizer's event the install was started from, if any


def complete_install(cat: Catalog, cfg: ShopifyConfig, cipher: TokenCipher, query: str, *,
                     http: httpx.Client | None = None, now: float | None = None) -> Installed:
    params = parse_query(query)
    values = dict(params)
    verify_callback_hmac(cfg.api_secret, params)                      # 1
    clock = time.time() if now is None else now
    check_timestamp(values, clock)                                    # 2
    state = values.get("state", "")
    found = rows.consume_state(cat, nonce_digest(state)) if state else None  # 3: gone from here on
    when = datetime.fromtimestamp(clock, UTC).replace(tzinfo=None) if now is not None else utcnow()
    if found is None:
        raise Refusal("this installation link was already used or never issued here; start the installation again"
                      " from the organizer app")
    state_shop, meta, expires_at = found
    if expires_at <= when:
        raise Refusal(f"the installation took more than {STATE_TTL_S // 60} minutes; start it again")
    if state_shop != values.get("shop"):
        raise Refusal("this installation was started for another store; start it again for this one")
    shop = validate_shop(values.get("shop"))                          # 4
    try:
        tokens = exchange_code(cfg, shop, values.get("code", ""), http=http, now=when)  # 5
    except ShopifyError as exc:
        raise Refusal(str(exc), 502 if "reach" in str(exc) else 400) from None
    if not scopes_cover(tokens.scope, cfg.scopes):
        raise Refusal(f"{shop} granted {tokens.scope or 'no scope'!s}, and Anchor needs {', '.join(cfg.scopes)} to"
                      " read the products; approve that access when installing", 403)
    store_id = rows.store_id_for(cat, shop)
    rows.save_install(
        cat, store_id=store_id, shop=shop, scopes=tokens.scope,
        access_enc=cipher.encrypt(store_id, "access_token", tokens.access_token),
        refresh_enc=cipher.encrypt(store_id, "refresh_token", tokens.refresh_token) if tokens.refresh_token else None,
        access_expires_at=tokens.access_expires_at, refresh_expires_at=tokens.refresh_expires_at, now=when)
    event = meta.get("event_id")
    return Installed(rows.get_store(cat, store_id), event if isinstance(event, str) else None)
