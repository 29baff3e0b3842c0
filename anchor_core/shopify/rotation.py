"""`anchor keys`: make, rotate and prune the Fernet keys store secrets are encrypted with.

Rotation is safe to interrupt: the new key is written first (in front of the old ones, which
still decrypt), then every secret is re-encrypted under it in one transaction. Pruning drops
the old keys only after checking that every secret decrypts with the newest key alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..catalog import Catalog
from ..config import Settings
from ..errors import ConfigError
from . import store as rows
from .crypto import KEYS_ENV, KEYS_FILE_ENV, TokenCipher, key_source, new_key, write_key_file


@dataclass(frozen=True)
class KeyReport:
    keys: int  # how many keys are configured now
    secrets: int  # how many stored secrets there are
    rewritten: int  # secrets re-encrypted by this command
    under_newest: int  # secrets the newest key alone decrypts
    file: str | None
    advice: str = ""


def _count(cat: Catalog | None, cipher: TokenCipher) -> tuple[int, int]:
    if cat is None:
        return 0, 0
    found = [c for _, a, r in rows.stored_secrets(cat) for c in (a, r) if c is not None]
    return len(found), sum(1 for c in found if cipher.readable_with_first_key(c))


def init_key_file(path: Path) -> KeyReport:
    if path.exists():
        raise ConfigError(f"{path} already exists; `anchor keys rotate --key-file {path}` adds a new key to it")
    write_key_file(path, [new_key()])
    return KeyReport(1, 0, 0, 0, str(path), f"set {KEYS_FILE_ENV}={path} for `anchor serve` and `anchor worker`")


def status(settings: Settings, cat: Catalog | None, key_file: Path | None = None) -> KeyReport:
    source = key_source(_with_file(settings, key_file))
    total, newest = _count(cat, TokenCipher(source.keys))
    return KeyReport(len(source.keys), total, 0, newest, str(source.file) if source.file else None)


def rotate(settings: Settings, cat: Catalog, key_file: Path | None = None) -> KeyReport:
    """A new key first in the key file, then every secret re-encrypted under it. With keys only in
    ANCHOR_TOKEN_KEYS (which a command cannot change), the operator puts the new key first there
    and this re-encrypts under it."""
    source = key_source(_with_file(settings, key_file))
    keys = list(source.keys)
    advice = ""
    if source.file is not None:
        keys = [new_key(), *keys]
        write_key_file(source.file, keys)
        advice = "old keys still decrypt; `anchor keys prune` drops them once every server has the new file"
    else:
        advice = (f"keys come from {KEYS_ENV}: every secret is now under its first key; drop the others from"
                  f" {KEYS_ENV} when every server has it")
    cipher = TokenCipher(keys)
    before = rows.stored_secrets(cat)
    updates = [(sid, cipher.rotate(a) if a is not None else None, cipher.rotate(r) if r is not None else None)
               for sid, a, r in before]
    rewritten = rows.rewrite_secrets(cat, updates, before)
    total, newest = _count(cat, cipher)
    return KeyReport(len(keys), total, rewritten, newest, str(source.file) if source.file else None, advice)


def prune(settings: Settings, cat: Catalog, key_file: Path | None = None) -> KeyReport:
    source = key_source(_with_file(settings, key_file))
    if source.file is None:
        raise ConfigError(f"keys come from {KEYS_ENV}: remove the old ones from it yourself (after `anchor keys"
                          " rotate`)")
    cipher = TokenCipher(source.keys)
    total, newest = _count(cat, cipher)
    if newest != total:
        raise ConfigError(f"{total - newest} stored secret(s) still need an older key: run `anchor keys rotate`"
                          " first")
    write_key_file(source.file, [source.keys[0]])
    return KeyReport(1, total, 0, newest, str(source.file))


def _with_file(settings: Settings, key_file: Path | None) -> Settings:
    if key_file is None:
        return settings
    from dataclasses import replace

    opts = tuple((k, v) for k, v in settings.options if k != KEYS_FILE_ENV) + ((KEYS_FILE_ENV, str(key_file)),)
    return replace(settings, options=opts)
