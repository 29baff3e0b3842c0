"""The Admin GraphQL API with Shopify's cost-based throttling (`integrations-security.md` §1.5).

Every answer carries `extensions.cost.throttleStatus`. A throttled query (HTTP 200 or 429, with
`errors[].extensions.code == "THROTTLED"`) waits `(requestedQueryCost - currentlyAvailable) /
restoreRate` and is sent again; after any answer whose bucket holds less than the query's cost,
the next query waits the same way first. A 401 gets one forced token refresh, then gives up.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from .config import ShopifyConfig
from .oauth import validate_shop
from .tokens import TIMEOUT, ReauthRequired, ShopifyError

MAX_THROTTLE_WAITS = 30
MAX_WAIT_S = 60.0
MAX_RESPONSE_BYTES = 20 << 20

PRODUCT_FIELDS = """id handle title vendor descriptionHtml status updatedAt
      featuredMedia { preview { image { url altText } } }
      priceRangeV2 { minVariantPrice { amount currencyCode } maxVariantPrice { amount currencyCode } }"""

PRODUCTS_QUERY = ("query AnchorProducts($first: Int!, $after: String, $query: String) {\n"
                  "  products(first: $first, after: $after, sortKey: ID, query: $query) {\n"
                  "    nodes { " + PRODUCT_FIELDS + " }\n"
                  "    pageInfo { hasNextPage endCursor }\n  }\n}")

COUNT_QUERY = """query AnchorProductsCount($query: String) { productsCount(query: $query, limit: null) { count } }"""

NODES_QUERY = "query AnchorProductNodes($ids: [ID!]!) { nodes(ids: $ids) { ... on Product { " + PRODUCT_FIELDS + " } } }"

TokenFn = Callable[[bool], str]  # force -> the access token


@dataclass
class Wait:
    seconds: float
    reason: str  # "throttled" (Shopify said so) or "slow down" (the bucket would not hold the next query)


@dataclass
class AdminClient:
    cfg: ShopifyConfig
    shop: str
    token: TokenFn
    http: httpx.Client | None = None
    sleep: Callable[[float], None] = time.sleep
    waits: list[Wait] = field(default_factory=list)
    queries: int = 0
    _pending_wait: float = 0.0

    def __post_init__(self) -> None:
        self.shop = validate_shop(self.shop)

    @property
    def url(self) -> str:
        return self.cfg.admin_url(self.shop, f"/admin/api/{self.cfg.api_version}/graphql.json")

    def _wait(self, seconds: float, reason: str) -> None:
        seconds = max(0.0, min(MAX_WAIT_S, seconds))
        if seconds > 0:
            self.waits.append(Wait(seconds, reason))
            self.sleep(seconds)

    def query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The query's `data`, after as many throttle waits as Shopify asks for (bounded)."""
        if self._pending_wait:
            self._wait(self._pending_wait, "slow down")
            self._pending_wait = 0.0
        client = self.http or httpx.Client(timeout=TIMEOUT, follow_redirects=False)
        try:
            return self._query(client, query, variables or {})
        finally:
            if self.http is None:
                client.close()

    def _query(self, client: httpx.Client, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        refreshed = False
        throttles = 0
        token = self.token(False)
        while True:
            self.queries += 1
            try:
                r = client.post(self.url, json={"query": query, "variables": variables},
                                headers={"X-Shopify-Access-Token": token, "Accept": "application/json"})
            except httpx.HTTPError as exc:
                raise ShopifyError(f"cannot reach {self.shop}'s Admin API ({type(exc).__name__}); the sync will"
                                   " be tried again") from None
            if r.status_code == 401:
                if refreshed:
                    raise ReauthRequired(f"{self.shop} refused the refreshed token (HTTP 401): the brand must"
                                         " connect the store again")
                refreshed = True
                token = self.token(True)
                continue
            body = self._json(r)
            cost = (body.get("extensions") or {}).get("cost") or {} if isinstance(body, dict) else {}
            if r.status_code == 429 or _throttled(body):
                throttles += 1
                if throttles > MAX_THROTTLE_WAITS:
                    raise ShopifyError(f"{self.shop} kept throttling after {MAX_THROTTLE_WAITS} waits; the sync"
                                       " will be tried again")
                self._wait(_throttle_wait(cost, r), "throttled")
                continue
            if r.status_code != 200:
                raise ShopifyError(f"{self.shop}'s Admin API answered HTTP {r.status_code}{_messages(body)}")
            errors = body.get("errors") if isinstance(body, dict) else None
            data = body.get("data") if isinstance(body, dict) else None
            if errors or not isinstance(data, dict):
                raise ShopifyError(f"{self.shop}'s Admin API refused the query{_messages(body)}")
            self._pending_wait = _slow_down(cost)
            return data

    def _json(self, r: httpx.Response) -> Any:
        if len(r.content) > MAX_RESPONSE_BYTES:
            raise ShopifyError(f"{self.shop}'s Admin API answer is over {MAX_RESPONSE_BYTES >> 20} MB")
        try:
            return r.json()
        except (ValueError, json.JSONDecodeError):
            return {}


def _throttled(body: Any) -> bool:
    errors = body.get("errors") if isinstance(body, dict) else None
    return isinstance(errors, list) and any(
        isinstance(e, dict) and (e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors)


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _throttle_wait(cost: dict[str, Any], r: httpx.Response) -> float:
    status = cost.get("throttleStatus") or {}
    requested, available = _number(cost.get("requestedQueryCost")), _number(status.get("currentlyAvailable"))
    rate = _number(status.get("restoreRate"))
    if requested is not None and available is not None and rate:
        return max(0.0, (requested - available) / rate)
    retry_after = r.headers.get("Retry-After", "")
    try:
        return float(retry_after)
    except ValueError:
        return 1.0


def _slow_down(cost: dict[str, Any]) -> float:
    """Before the next query (assumed to cost what this one did): the time the bucket needs."""
    status = cost.get("throttleStatus") or {}
    requested, available = _number(cost.get("requestedQueryCost")), _number(status.get("currentlyAvailable"))
    rate = _number(status.get("restoreRate"))
    if requested is None or available is None or not rate or available >= requested:
        return 0.0
    return (requested - available) / rate


def _messages(body: Any) -> str:
    errors = body.get("errors") if isinstance(body, dict) else None
    if isinstance(errors, str):
        errors = [{"message": errors}]
    if not isinstance(errors, list):
        return ""
    texts = []
    for e in errors[:3]:
        msg = e.get("message") if isinstance(e, dict) else e
        if isinstance(msg, str):
            texts.append("".join(ch for ch in msg if ch.isprintable())[:200])
    return (": " + "; ".join(texts)) if texts else ""
