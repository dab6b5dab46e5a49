"""What the CLI commands share: settings from the click context, clients, store, formatting.

The chain client (web3) and the storage stack load when a command first asks for them, not when
the CLI starts: `nnc --help` and every command's help stay fast."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import click

from nnc.chain.types import ETH
from nnc.settings import Settings

if TYPE_CHECKING:
    from nnc.chain.client import ChainClient
    from nnc.storage import MultiStore


def settings_of(ctx: click.Context) -> Settings:
    settings = ctx.find_root().obj
    assert isinstance(settings, Settings)
    return settings


def client_of(ctx: click.Context, need_account: bool = True) -> ChainClient:
    from nnc.chain.client import ChainClient  # web3: loaded by the commands that talk to the chain

    return ChainClient.from_settings(settings_of(ctx), need_account=need_account)


def store_of(ctx: click.Context) -> MultiStore:
    """Writes to the configured storage backend, reads any URI whose backend is configured."""
    from nnc.storage import store_from_settings

    return store_from_settings(settings_of(ctx))


def fmt_amount(amount: int, token: str = ETH, decimals: int = 18) -> str:
    symbol = "ETH" if int(token, 16) == 0 else f"token {token[:10]}…"
    value = Decimal(amount) / (Decimal(10) ** decimals)
    return f"{value.normalize():f} {symbol}"


def fmt_nnt(amount: int) -> str:
    return f"{(Decimal(amount) / Decimal(10**18)).normalize():f} NNT"
