"""`anchor keys`: stored store tokens stay readable through a rotation (MultiFernet), old keys
decrypt until pruned, keys never come from the catalog and no command prints one."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from anchor_core.config import load_settings
from anchor_core.errors import ConfigError
from anchor_core.shopify import TokenCipher
from anchor_core.shopify import store as rows
from anchor_core.shopify.crypto import KEYS_FILE_ENV, SecretUnreadable, key_source, new_key
from anchor_core.shopify.tokens import utcnow
from tests import test_shopify as base
from tests.shopify_fake import FakeShopify
from tests.test_shopify import SHOP

fake, env, sh = base.fake, base.env, base.sh  # the fixtures


def _anchor(home: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "anchor_core.cli", "--home", str(home), *args], env={
        **{k: v for k, v in os.environ.items() if not k.startswith(("SHOPIFY_", "ANCHOR_"))}, **env},
        capture_output=True, text=True, timeout=120)


def _plant(cat, cipher: TokenCipher, n: int) -> dict[str, tuple[str, str]]:
    """n stores with known tokens, written as the callback writes them."""
    now, out = utcnow(), {}
    for i in range(n):
        shop = f"brand-{i}.myshopify.com"
        sid = rows.store_id_for(cat, shop)
        access, refresh = f"fake-access-token-{i}", f"fake-refresh-token-{i}"
        rows.save_install(cat, store_id=sid, shop=shop, scopes="read_products",
                          access_enc=cipher.encrypt(sid, "access_token", access),
                          refresh_enc=cipher.encrypt(sid, "refresh_token", refresh),
                          access_expires_at=now, refresh_expires_at=now, now=now)
        out[sid] = (access, refresh)
    return out


def _readable(cat, cipher: TokenCipher, planted: dict[str, tuple[str, str]]) -> bool:
    for sid, a, r in rows.stored_secrets(cat):
        assert a is not None and r is not None
        if (cipher.decrypt(sid, "access_token", a), cipher.decrypt(sid, "refresh_token", r)) != planted[sid]:
            return False
    return True


def test_rotate_and_prune_keep_every_secret_readable(tmp_path):
    home, keyfile = tmp_path / "home", tmp_path / "keys"
    env = {KEYS_FILE_ENV: str(keyfile)}
    r = _anchor(home, env, "keys", "init", "--key-file", str(keyfile))
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(keyfile.stat().st_mode) == 0o600
    first = key_source(load_settings(home, env=env)).keys
    assert first[0].decode() not in r.stdout + r.stderr  # the key is never printed
    from anchor_core.catalog import Catalog

    with Catalog(home / "catalog.duckdb") as cat:
        planted = _plant(cat, TokenCipher(first), 3)
    r = _anchor(home, env, "keys", "rotate")
    assert r.returncode == 0, r.stderr
    assert "6 stored secret(s), 6 under the newest key, 6 re-encrypted" in r.stdout
    keys = key_source(load_settings(home, env=env)).keys
    assert len(keys) == 2 and keys[1] == first[0]
    with Catalog(home / "catalog.duckdb") as cat:
        assert _readable(cat, TokenCipher(keys[:1]), planted)  # the new key alone reads everything
        with pytest.raises(SecretUnreadable):  # and the old one alone reads nothing any more
            _readable(cat, TokenCipher(first), planted)
    r = _anchor(home, env, "keys", "prune")
    assert r.returncode == 0, r.stderr
    assert key_source(load_settings(home, env=env)).keys == keys[:1]
    with Catalog(home / "catalog.duckdb") as cat:
        assert _readable(cat, TokenCipher.from_settings(load_settings(home, env=env)), planted)
    for text in (r.stdout, r.stderr, keyfile.read_text()):
        assert "fake-access-token" not in text
    assert keys[0] not in (home / "catalog.duckdb").read_bytes()  # never in the catalog


def test_prune_refuses_while_a_secret_needs_an_old_key(tmp_path):
    home, keyfile = tmp_path / "home", tmp_path / "keys"
    old = new_key()
    from anchor_core.catalog import Catalog
    from anchor_core.shopify.crypto import write_key_file

    with Catalog(home / "catalog.duckdb") as cat:
        _plant(cat, TokenCipher([old]), 1)
    write_key_file(keyfile, [new_key(), old])  # a new key added by hand, not rotated yet
    r = _anchor(home, {KEYS_FILE_ENV: str(keyfile)}, "keys", "prune")
    assert r.returncode == 1 and "still need an older key" in r.stderr
    assert len(key_source(load_settings(home, env={KEYS_FILE_ENV: str(keyfile)})).keys) == 2


def test_env_keys_rotate_under_their_first_key(tmp_path):
    from anchor_core.catalog import Catalog

    home, old, new = tmp_path / "home", new_key(), new_key()
    with Catalog(home / "catalog.duckdb") as cat:
        planted = _plant(cat, TokenCipher([old]), 2)
    r = _anchor(home, {"ANCHOR_TOKEN_KEYS": f"{new.decode()},{old.decode()}"}, "keys", "rotate")
    assert r.returncode == 0, r.stderr
    assert "4 re-encrypted" in r.stdout and "ANCHOR_TOKEN_KEYS" in r.stdout
    with Catalog(home / "catalog.duckdb") as cat:
        assert _readable(cat, TokenCipher([new]), planted)


def test_missing_or_bad_keys_say_what_to_do(tmp_path):
    with pytest.raises(ConfigError, match="anchor keys init"):
        TokenCipher.from_settings(load_settings(tmp_path, env={}))
    with pytest.raises(ConfigError, match="not a Fernet key"):
        TokenCipher.from_settings(load_settings(tmp_path, env={"ANCHOR_TOKEN_KEYS": "short"}))
    (tmp_path / "empty").write_text("# nothing\n")
    with pytest.raises(ConfigError, match="holds no key"):
        TokenCipher.from_settings(load_settings(tmp_path, env={KEYS_FILE_ENV: str(tmp_path / "empty")}))


def test_a_rotation_keeps_a_connected_store_working(sh, fake: FakeShopify):
    """Install, rotate, and the store's token is still there for the next sync."""
    fake.add_shop(SHOP, 2)
    assert sh.install(fake).status_code == 200
    [store] = rows.list_stores(sh.cat)
    before = sh.cipher().decrypt(store.id, "access_token", store.access_token_enc)
    from anchor_core.shopify.rotation import rotate

    report = rotate(sh.settings, sh.cat)
    assert report.rewritten == 2 and report.under_newest == report.secrets == 2
    s = rows.get_store(sh.cat, store.id)
    assert TokenCipher.from_settings(sh.settings).decrypt(store.id, "access_token", s.access_token_enc) == before
    [job] = sh.run_jobs()
    assert job.status == "done" and job.result["stored"] == 2
