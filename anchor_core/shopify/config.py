"""The Shopify app's settings, read once from the environment (through `Settings.option`).

| variable | meaning |
|---|---|
| `SHOPIFY_API_KEY` (or a file named by `SHOPIFY_API_KEY_FILE`) | the app's client id |
| `SHOPIFY_API_SECRET` (or `SHOPIFY_API_SECRET_FILE`) | the app's client secret: signs callbacks and webhooks |
| `SHOPIFY_API_SECRET_PREVIOUS` (or `..._FILE`) | the secret before a rotation: webhooks signed with it still verify |
| `SHOPIFY_APP_URL` | the public base URL of `anchor serve` (e.g. `https://anchor.example.com`); the redirect is `{it}/shopify/callback` |
| `SHOPIFY_API_VERSION` | Admin API version, default `2026-10` |
| `SHOPIFY_ADMIN_BASE_URL` | where a shop's admin lives, default `https://{shop}`; tests point it at a loopback fake |
| `SHOPIFY_IMAGE_HOSTS` | hosts product images may be downloaded from, default `cdn.shopify.com` |

The shop domain is validated strictly whatever the base URL is: the template only decides
which host a validated domain maps to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..config import Settings
from ..errors import ConfigError

DEFAULT_API_VERSION = "2026-10"
DEFAULT_ADMIN_BASE_URL = "https://{shop}"
DEFAULT_IMAGE_HOSTS = ("cdn.shopify.com",)
SCOPES = ("read_products",)
CALLBACK_PATH = "/shopify/callback"
INSTALL_PATH = "/shopify/install"
WEBHOOK_PATH = "/shopify/webhooks"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
_VERSION = re.compile(r"20[0-9]{2}-(01|04|07|10)|unstable")


@dataclass(frozen=True)
class ShopifyConfig:
    api_key: str
    api_secret: str = field(repr=False)
    app_url: str
    api_version: str = DEFAULT_API_VERSION
    previous_secret: str | None = field(default=None, repr=False)
    admin_base_url: str = DEFAULT_ADMIN_BASE_URL
    image_hosts: tuple[str, ...] = DEFAULT_IMAGE_HOSTS
    scopes: tuple[str, ...] = SCOPES

    @property
    def redirect_uri(self) -> str:
        return self.app_url + CALLBACK_PATH

    def admin_url(self, shop: str, path: str) -> str:
        """`https://{shop}{path}` for a shop that passed `validate_shop` (the caller's duty)."""
        return self.admin_base_url.replace("{shop}", shop) + path

    @property
    def secrets(self) -> tuple[str, ...]:
        """The secrets a webhook may be signed with: current first."""
        return (self.api_secret,) + ((self.previous_secret,) if self.previous_secret else ())


def _value(settings: Settings, name: str) -> str | None:
    """`NAME`, else the first line of the file `NAME_FILE`."""
    direct = settings.option(name)
    if direct:
        return direct.strip()
    path = settings.option(name + "_FILE")
    if not path:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{name}_FILE={path}: cannot read it ({getattr(exc, 'strerror', None) or exc});"
                          f" put the value on its first line, or set {name} instead") from None
    if not text:
        raise ConfigError(f"{name}_FILE={path} is empty: put the value on its first line")
    return text.splitlines()[0].strip()


def missing_settings(settings: Settings) -> list[str]:
    """What still has to be set before brands can connect a store (empty when ready)."""
    out = []
    for name, what in (("SHOPIFY_API_KEY", "the app's client id (Partner Dashboard > your app > Client credentials)"),
                       ("SHOPIFY_API_SECRET", "the app's client secret, from the same page"),
                       ("SHOPIFY_APP_URL", "the public https address of `anchor serve`; the app's allowed redirect"
                                           " URL is it followed by /shopify/callback")):
        try:
            ok = bool(_value(settings, name))
        except ConfigError as exc:
            out.append(str(exc))
            continue
        if not ok:
            file_hint = f" (or {name}_FILE naming a file that holds it)" if name != "SHOPIFY_APP_URL" else ""
            out.append(f"{name}{file_hint}: {what}")
    if not (settings.option("ANCHOR_TOKEN_KEYS") or settings.option("ANCHOR_TOKEN_KEYS_FILE")):
        out.append("ANCHOR_TOKEN_KEYS_FILE (or ANCHOR_TOKEN_KEYS): the Fernet keys the store tokens are encrypted"
                   " with; `anchor keys init --key-file FILE` makes one")
    return out


def _url(name: str, text: str, *, template: bool = False) -> str:
    parts = urlsplit(text.replace("{shop}", "shop.myshopify.com") if template else text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name}={text!r} is not an http(s) URL")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        raise ConfigError(f"{name}={text!r}: plain http is only allowed on localhost; use https")
    if parts.query or parts.fragment:
        raise ConfigError(f"{name}={text!r} must not have a query or fragment")
    return text.rstrip("/")


def load_shopify_config(settings: Settings) -> ShopifyConfig:
    """The app's configuration, or ConfigError listing exactly what is missing."""
    missing = [m for m in missing_settings(settings) if not m.startswith("ANCHOR_TOKEN_KEYS")]
    if missing:
        raise ConfigError("Shopify is not configured; set " + "; ".join(missing))
    version = settings.option("SHOPIFY_API_VERSION", DEFAULT_API_VERSION) or DEFAULT_API_VERSION
    if not _VERSION.fullmatch(version):
        raise ConfigError(f"SHOPIFY_API_VERSION={version!r} is not an Admin API version like {DEFAULT_API_VERSION}")
    base = settings.option("SHOPIFY_ADMIN_BASE_URL", DEFAULT_ADMIN_BASE_URL) or DEFAULT_ADMIN_BASE_URL
    if "{shop}" not in base:
        raise ConfigError(f"SHOPIFY_ADMIN_BASE_URL={base!r} must contain {{shop}}, like {DEFAULT_ADMIN_BASE_URL}")
    hosts = tuple(h.strip().lower() for h in (settings.option("SHOPIFY_IMAGE_HOSTS") or "").split(",") if h.strip())
    return ShopifyConfig(
        api_key=_value(settings, "SHOPIFY_API_KEY") or "",
        api_secret=_value(settings, "SHOPIFY_API_SECRET") or "",
        app_url=_url("SHOPIFY_APP_URL", settings.option("SHOPIFY_APP_URL") or ""),
        api_version=version,
        previous_secret=_value(settings, "SHOPIFY_API_SECRET_PREVIOUS"),
        admin_base_url=_url("SHOPIFY_ADMIN_BASE_URL", base, template=True),
        image_hosts=hosts or DEFAULT_IMAGE_HOSTS,
    )
