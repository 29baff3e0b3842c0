"""Expiring offline tokens: the code exchange, the refresh, and `get_valid_token`.

Shopify's expiring offline access token lives 60 minutes and comes with a refresh token; each
refresh returns a new pair, and both are persisted in one UPDATE. `get_valid_token` refreshes
`REFRESH_MARGIN_S` before expiry, serialised per store (a thread lock and a file lock, so two
processes sharing the catalog do not refresh the same store at once). A refresh Shopify refuses
(`invalid_grant`) marks the store `reauth_required`: the brand must install the app again.

No token is ever put in a message, a log line or an exception.
"""

from __future__ import annotations

import fcntl
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from ..catalog import Catalog
from ..errors import AnchorError
from . import store as rows
from .config import ShopifyConfig
from .crypto import TokenCipher
from .oauth import validate_shop

REFRESH_MARGIN_S = 300
TIMEOUT = httpx.Timeout(15.0, connect=5.0)
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


class ShopifyError(AnchorError):
    """Shopify answered something unusable, or could not be reached (said without secrets)."""


class ReauthRequired(ShopifyError):
    """The store's grant is gone (dead refresh token, uninstalled): the brand must connect it again."""


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class TokenSet:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    scope: str
    access_expires_at: datetime | None
    refresh_expires_at: datetime | None


def _error_code(response: httpx.Response) -> str:
    """Shopify's `error` identifier (e.g. invalid_grant), never the body itself."""
    try:
        value = response.json().get("error")
    except (ValueError, AttributeError):
        return ""
    return value if isinstance(value, str) and re.fullmatch(r"[a-z_]{1,40}", value) else ""


def _token_set(data: Any, now: datetime) -> TokenSet:
    if not isinstance(data, dict) or not isinstance(data.get("access_token"), str) or not data["access_token"]:
        raise ShopifyError("Shopify's token answer has no access token; start the installation again")

    def seconds(name: str) -> int | None:
        value = data.get(name)
        return int(value) if isinstance(value, int | float) and not isinstance(value, bool) and value > 0 else None

    expires, refresh_expires = seconds("expires_in"), seconds("refresh_token_expires_in")
    refresh = data.get("refresh_token")
    return TokenSet(
        access_token=data["access_token"],
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        scope=str(data.get("scope") or ""),
        access_expires_at=now + timedelta(seconds=expires) if expires else None,
        refresh_expires_at=now + timedelta(seconds=refresh_expires) if refresh_expires else None,
    )


def _post_token(cfg: ShopifyConfig, shop: str, body: dict[str, Any], http: httpx.Client | None) -> httpx.Response:
    url = cfg.admin_url(validate_shop(shop), "/admin/oauth/access_token")  # only ever the validated shop's host
    client = http or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
    try:
        return client.post(url, json=body, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise ShopifyError(f"cannot reach {shop} for a token ({type(exc).__name__}); try again") from None
    finally:
        if http is None:
            client.close()


def exchange_code(cfg: ShopifyConfig, shop: str, code: str, *, http: httpx.Client | None = None,
                  now: datetime | None = None) -> TokenSet:
    """The authorization code for an expiring offline token (`expiring: 1`)."""
    if not re.fullmatch(r"[A-Za-z0-9_.~-]{1,256}", code or ""):
        raise ShopifyError("the callback's code is not a Shopify authorization code; start the installation again")
    r = _post_token(cfg, shop, {"client_id": cfg.api_key, "client_secret": cfg.api_secret, "code": code,
                                "expiring": 1}, http)
    if r.status_code != 200:
        code_name = _error_code(r)
        raise ShopifyError(f"{shop} refused the authorization code (HTTP {r.status_code}"
                           f"{', ' + code_name if code_name else ''}); start the installation again")
    try:
        data = r.json()
    except ValueError:
        raise ShopifyError(f"{shop} answered the token request with something other than JSON") from None
    return _token_set(data, now or utcnow())


def refresh_tokens(cfg: ShopifyConfig, shop: str, refresh_token: str, *, http: httpx.Client | None = None,
                   now: datetime | None = None) -> TokenSet:
    r = _post_token(cfg, shop, {"client_id": cfg.api_key, "client_secret": cfg.api_secret,
                                "grant_type": "refresh_token", "refresh_token": refresh_token}, http)
    if r.status_code in (400, 401, 403):
        code_name = _error_code(r)
        raise ReauthRequired(f"Shopify refused to refresh the token of {shop} (HTTP {r.status_code}"
                             f"{', ' + code_name if code_name else ''}): the brand must connect the store again")
    if r.status_code != 200:
        raise ShopifyError(f"{shop} did not refresh the token (HTTP {r.status_code}); try again later")
    try:
        data = r.json()
    except ValueError:
        raise ShopifyError(f"{shop} answered the refresh with something other than JSON") from None
    return _token_set(data, now or utcnow())


@contextmanager
def store_lock(cat: Catalog, store_id: str) -> Iterator[None]:
    """One refresher per store: a lock for this process's threads, a file lock for other processes."""
    with _LOCKS_GUARD:
        lock = _LOCKS.setdefault(f"{cat.path.resolve()}|{store_id}", threading.Lock())
    folder = Path(cat.path).parent / "tmp" / "locks"
    folder.mkdir(parents=True, exist_ok=True)
    with lock, open(folder / f"shopify-{store_id}.lock", "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def get_valid_token(cat: Catalog, cfg: ShopifyConfig, cipher: TokenCipher, store_id: str, *,
                    http: httpx.Client | None = None, now: datetime | None = None, force: bool = False) -> str:
    """The store's access token, refreshed first when it expires within REFRESH_MARGIN_S (or when
    `force`, after the Admin API said 401). ReauthRequired when the store must be connected again."""
    with store_lock(cat, store_id):
        when = now or utcnow()
        s = rows.get_store(cat, store_id)  # read again under the lock: another thread may have refreshed
        if s.state != rows.ACTIVE or s.access_token_enc is None:
            raise ReauthRequired(f"store {s.shop_domain} is {s.state.replace('_', ' ')}: connect it again from the"
                                 " organizer app")
        fresh = s.access_expires_at is None or s.access_expires_at - when > timedelta(seconds=REFRESH_MARGIN_S)
        if fresh and not force:
            return cipher.decrypt(store_id, "access_token", s.access_token_enc)
        if s.refresh_token_enc is None or (s.refresh_expires_at is not None and s.refresh_expires_at <= when):
            reason = "its access token expired and it has no live refresh token"
            rows.set_store_state(cat, store_id, rows.REAUTH, reason, when)
            raise ReauthRequired(f"store {s.shop_domain}: {reason}; connect it again from the organizer app")
        refresh = cipher.decrypt(store_id, "refresh_token", s.refresh_token_enc)
        try:
            new = refresh_tokens(cfg, s.shop_domain, refresh, http=http, now=when)
        except ReauthRequired as exc:
            rows.set_store_state(cat, store_id, rows.REAUTH, str(exc), when)
            raise
        refresh_enc = cipher.encrypt(store_id, "refresh_token", new.refresh_token) if new.refresh_token else None
        rows.update_tokens(cat, store_id, access_enc=cipher.encrypt(store_id, "access_token", new.access_token),
                           refresh_enc=refresh_enc, access_expires_at=new.access_expires_at,
                           refresh_expires_at=new.refresh_expires_at, now=when)
        return new.access_token
