"""What the CLI commands share: settings from the click context, clients, store, formatting."""

from __future__ import annotations

from decimal import Decimal

import click

from nnc.chain.client import ChainClient
from nnc.chain.types import ETH
from nnc.settings import Settings
from nnc.storage import MultiStore, store_from_settings


def settings_of(ctx: click.Context) -> Settings:
    settings = ctx.find_root().obj
    assert isinstance(settings, Settings)
    return settings


def client_of(ctx: click.Context, need_account: bool = True) -> ChainClient:
    return ChainClient.from_settings(settings_of(ctx), need_account=need_account)


def store_of(ctx: click.Context) -> MultiStore:
    """Writes to the configured storage backend, reads any URI whose backend is configured."""
    return store_from_settings(settings_of(ctx))


def fmt_amount(amount: int, token: str = ETH, decimals: int = 18) -> str:
    symbol = "ETH" if int(token, 16) == 0 else f"token {token[:10]}…"
    value = Decimal(amount) / (Decimal(10) ** decimals)
    return f"{value.normalize():f} {symbol}"


def fmt_nnt(amount: int) -> str:
    return f"{(Decimal(amount) / Decimal(10**18)).normalize():f} NNT"
