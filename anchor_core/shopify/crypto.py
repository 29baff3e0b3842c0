"""Store secrets (access and refresh tokens) encrypted with Fernet; keys rotate with MultiFernet.

The keys never live in the catalog or the repository: `ANCHOR_TOKEN_KEYS="new,old"` or a file
named by `ANCHOR_TOKEN_KEYS_FILE` (one key a line, newest first; mode 600). The first key
encrypts, every key decrypts. `anchor keys rotate` puts a new key first and re-encrypts every
secret with it; old keys keep decrypting until they are removed (`anchor keys prune`).

Fernet has no associated data, so each ciphertext wraps `{"store": id, "kind": ..., "value": ...}`
and decrypting checks the store and kind: a ciphertext copied onto another row does not work.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from ..config import Settings
from ..errors import AnchorError, ConfigError

KEYS_ENV = "ANCHOR_TOKEN_KEYS"
KEYS_FILE_ENV = "ANCHOR_TOKEN_KEYS_FILE"


class SecretUnreadable(AnchorError):
    """A stored secret does not decrypt with any configured key (or belongs to another row)."""


def _parse_keys(text: str, where: str) -> list[bytes]:
    lines = [line.strip() for line in text.splitlines() if not line.strip().startswith("#")]
    keys = [k.strip() for line in lines for k in line.split(",") if k.strip()]
    if not keys:
        raise ConfigError(f"{where} holds no key; `anchor keys init --key-file FILE` makes one")
    for i, k in enumerate(keys, 1):
        try:
            Fernet(k.encode())
        except ValueError:
            raise ConfigError(f"{where}: key {i} is not a Fernet key (32 bytes, url-safe base64, 44 characters);"
                              " `anchor keys init` makes one") from None
    return [k.encode() for k in keys]


@dataclass(frozen=True)
class KeySource:
    """Where the keys come from: the file (which rotation can rewrite) or the environment."""

    keys: tuple[bytes, ...]
    file: Path | None


def key_source(settings: Settings) -> KeySource:
    path = settings.option(KEYS_FILE_ENV)
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{KEYS_FILE_ENV}={path}: cannot read it ({getattr(exc, 'strerror', None) or exc});"
                              " `anchor keys init --key-file FILE` makes one") from None
        return KeySource(tuple(_parse_keys(text, f"{KEYS_FILE_ENV}={path}")), Path(path))
    env_keys = settings.option(KEYS_ENV)
    if env_keys:
        return KeySource(tuple(_parse_keys(env_keys, KEYS_ENV)), None)
    raise ConfigError(f"no key to encrypt store tokens with: set {KEYS_FILE_ENV} to a key file (`anchor keys init"
                      f" --key-file FILE` makes one) or {KEYS_ENV}=key[,older keys]")


class TokenCipher:
    """Encrypts with the first key, decrypts with any."""

    def __init__(self, keys: tuple[bytes, ...] | list[bytes]) -> None:
        if not keys:
            raise ConfigError("no Fernet key")
        self._fernet = MultiFernet([Fernet(k) for k in keys])
        self._first = Fernet(keys[0])

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenCipher:
        return cls(key_source(settings).keys)

    def encrypt(self, store_id: str, kind: str, value: str) -> bytes:
        return self._fernet.encrypt(json.dumps({"store": store_id, "kind": kind, "value": value}).encode())

    def decrypt(self, store_id: str, kind: str, token: bytes) -> str:
        try:
            data = json.loads(self._fernet.decrypt(bytes(token)))
        except (InvalidToken, ValueError, TypeError):
            raise SecretUnreadable(f"the stored {kind} of store {store_id} does not decrypt with any configured key"
                                   f" ({KEYS_FILE_ENV} / {KEYS_ENV}): restore the key it was encrypted with, or"
                                   " reconnect the store") from None
        if not isinstance(data, dict) or data.get("store") != store_id or data.get("kind") != kind:
            raise SecretUnreadable(f"the stored {kind} of store {store_id} belongs to another record: reconnect the"
                                   " store")
        return str(data["value"])

    def rotate(self, token: bytes) -> bytes:
        """The same secret under the first key (MultiFernet keeps its timestamp)."""
        try:
            return self._fernet.rotate(bytes(token))
        except InvalidToken:
            raise SecretUnreadable("a stored secret does not decrypt with any configured key") from None

    def readable_with_first_key(self, token: bytes) -> bool:
        try:
            self._first.decrypt(bytes(token))
            return True
        except InvalidToken:
            return False


def new_key() -> bytes:
    return Fernet.generate_key()


def write_key_file(path: Path, keys: list[bytes]) -> None:
    """Replace the key file atomically, readable by its owner only."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".keys-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("# Anchor token keys, newest first: the first encrypts, all decrypt. Keep this file secret.\n")
            fh.write("".join(k.decode() + "\n" for k in keys))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
