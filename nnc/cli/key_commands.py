"""`nnc key new|import`: encrypted keystores for node operators and requesters."""

from __future__ import annotations

from pathlib import Path

import click

from nnc.errors import ConfigError

_OUT = click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
                    help="keystore file to write (never overwritten)")
_PASSPHRASE = click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                           help="read the passphrase from this file (default: ask twice on the terminal)")

_COST = click.option("--scrypt-n", type=click.IntRange(min=2), default=None, hidden=True,
                     help="scrypt cost parameter (throwaway test keys only; default: eth-account's 262144)")


def _passphrase(passphrase_file: Path | None) -> str:
    if passphrase_file is not None:
        lines = passphrase_file.read_text().splitlines()
        return lines[0] if lines else ""
    return str(click.prompt("passphrase", hide_input=True, confirmation_prompt=True))


@click.group("key")
def key_group() -> None:
    """Encrypted signing keys (Ethereum V3 keystores): set `keystore` in the settings to use one."""


@key_group.command("new")
@_OUT
@_PASSPHRASE
@_COST
def new_cmd(out: Path, passphrase_file: Path | None, scrypt_n: int | None) -> None:
    """Create a new account in an encrypted keystore and print its address."""
    from nnc.keystore import create_keystore  # eth-account

    click.echo(create_keystore(out, _passphrase(passphrase_file), scrypt_n=scrypt_n))


@key_group.command("import")
@click.argument("key_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_OUT
@_PASSPHRASE
@_COST
def import_cmd(key_file: Path, out: Path, passphrase_file: Path | None, scrypt_n: int | None) -> None:
    """Encrypt the hex private key in KEY_FILE into a keystore and print its address."""
    from nnc.keystore import create_keystore  # eth-account

    text = key_file.read_text().strip()
    try:
        int(text.removeprefix("0x"), 16)
        if len(text.removeprefix("0x")) != 64:
            raise ValueError
    except ValueError:
        raise ConfigError(f"{key_file} does not hold a hex private key (64 hex digits)") from None
    click.echo(create_keystore(out, _passphrase(passphrase_file), text, scrypt_n=scrypt_n))
