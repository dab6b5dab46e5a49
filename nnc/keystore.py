"""Encrypted key files for node operators: the Ethereum V3 keystore format (eth-account; scrypt
and AES-128-CTR, the format geth and MetaMask export), unlocked with a passphrase at start-up.

The passphrase comes from a file (for daemons under a service manager) or from a prompt on the
terminal; it and the key are never logged or written anywhere else.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path

from eth_account import Account

from nnc.errors import ConfigError


def create_keystore(path: Path, passphrase: str, private_key: str | None = None,
                    scrypt_n: int | None = None) -> str:
    """Writes `private_key` (a new random key when None) encrypted under `passphrase` to `path`
    (mode 600; an existing file is never overwritten) and returns the account's address.
    `scrypt_n` lowers the key-derivation cost (tests only; the default is eth-account's)."""
    if not passphrase:
        raise ConfigError("an empty passphrase would leave the keystore unprotected")
    if path.exists():
        raise ConfigError(f"{path} exists already: choose another file")
    account = Account.from_key(private_key) if private_key else Account.create()
    document = Account.encrypt(account.key, passphrase, iterations=scrypt_n)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(document, handle)
    return str(account.address)


def unlock_keystore(path: Path, passphrase: str) -> str:
    """The hex private key in the keystore at `path`; `ConfigError` naming the file on failure."""
    try:
        document = json.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read keystore {path}: {exc.strerror or exc}") from None
    except ValueError:
        raise ConfigError(f"keystore {path} is not JSON (expected an Ethereum V3 keystore)") from None
    if not isinstance(document, dict) or document.get("version") != 3 or "crypto" not in document:
        raise ConfigError(f"keystore {path} is not an Ethereum V3 keystore")
    try:
        key = Account.decrypt(document, passphrase)
    except ValueError as exc:
        reason = "wrong passphrase" if "MAC mismatch" in str(exc) else str(exc)
        raise ConfigError(f"cannot unlock keystore {path}: {reason}") from None
    return "0x" + bytes(key).hex()


def read_passphrase(keystore: Path, passphrase_file: Path | None) -> str:
    """The keystore's passphrase: the first line of `passphrase_file`, else asked on the terminal."""
    if passphrase_file is not None:
        try:
            return passphrase_file.read_text().splitlines()[0] if passphrase_file.stat().st_size else ""
        except OSError as exc:
            raise ConfigError(f"cannot read keystore passphrase file {passphrase_file}: {exc.strerror}") from None
    if not sys.stdin.isatty():
        raise ConfigError(f"keystore {keystore} is locked: set keystore_passphrase_file "
                          "(NNC_KEYSTORE_PASSPHRASE_FILE) or run on a terminal to be asked")
    return getpass.getpass(f"passphrase for {keystore}: ")
