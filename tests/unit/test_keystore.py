"""Encrypted keystores: created, unlocked from settings, refused with a clear error, never leaked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from eth_account import Account

from nnc.errors import ConfigError
from nnc.keystore import create_keystore, unlock_keystore
from nnc.settings import Settings

KEY = "0x" + "4c" * 32
FAST = 2**10  # scrypt cost for tests only


def test_round_trip_and_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "node.json"
    address = create_keystore(path, "correct horse", KEY, scrypt_n=FAST)
    assert address == Account.from_key(KEY).address
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert KEY[2:] not in path.read_text()  # encrypted, not stored in clear
    assert json.loads(path.read_text())["version"] == 3
    assert unlock_keystore(path, "correct horse") == KEY


def test_wrong_passphrase_missing_file_and_overwrite_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "node.json"
    create_keystore(path, "right", KEY, scrypt_n=FAST)
    with pytest.raises(ConfigError, match="wrong passphrase"):
        unlock_keystore(path, "wrong")
    with pytest.raises(ConfigError, match="cannot read keystore"):
        unlock_keystore(tmp_path / "missing.json", "right")
    with pytest.raises(ConfigError, match="exists already"):
        create_keystore(path, "other", scrypt_n=FAST)
    (tmp_path / "junk.json").write_text("{}")
    with pytest.raises(ConfigError, match="not an Ethereum V3 keystore"):
        unlock_keystore(tmp_path / "junk.json", "right")
    with pytest.raises(ConfigError, match="empty passphrase"):
        create_keystore(tmp_path / "empty.json", "", scrypt_n=FAST)


def test_settings_unlock_from_a_passphrase_file_and_refuse_without_a_terminal(tmp_path: Path) -> None:
    path = tmp_path / "node.json"
    create_keystore(path, "s3cret", KEY, scrypt_n=FAST)
    (tmp_path / "pass").write_text("s3cret\n")
    settings = Settings(keystore=path, keystore_passphrase_file=tmp_path / "pass")
    assert settings.private_key_hex() == KEY
    assert KEY[2:] not in repr(settings) and "s3cret" not in repr(settings)
    locked = Settings(keystore=path)
    with pytest.raises(ConfigError, match="is locked"):
        locked.private_key_hex()  # pytest's stdin is no terminal: no prompt, a clear error


def test_cli_imports_a_key_and_the_daemons_can_sign_with_it(tmp_path: Path) -> None:
    (tmp_path / "plain.key").write_text(KEY + "\n")
    (tmp_path / "pass").write_text("pw\n")
    out = tmp_path / "store" / "node.json"
    done = subprocess.run([sys.executable, "-m", "nnc", "key", "import", str(tmp_path / "plain.key"), "--out",
                           str(out), "--passphrase-file", str(tmp_path / "pass"), "--scrypt-n", str(FAST)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == Account.from_key(KEY).address
    assert KEY[2:] not in done.stdout + done.stderr
    assert unlock_keystore(out, "pw") == KEY
    (tmp_path / "bad.key").write_text("not a key")
    bad = subprocess.run([sys.executable, "-m", "nnc", "key", "import", str(tmp_path / "bad.key"), "--out",
                          str(tmp_path / "x.json"), "--passphrase-file", str(tmp_path / "pass")],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 1 and "does not hold a hex private key" in bad.stderr
