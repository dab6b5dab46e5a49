"""What the CLI commands share: settings from the click context, clients, store, formatting."""

from __future__ import annotations

from decimal import Decimal

import click

from nnc.chain.client import ChainClient
from nnc.chain.types import ETH
from nnc.settings import Settings
from nnc.storage import Store, open_store


def settings_of(ctx: click.Context) -> Settings:
    settings = ctx.find_root().obj
    assert isinstance(settings, Settings)
    return settings


def client_of(ctx: click.Context, need_account: bool = True) -> ChainClient:
    return ChainClient.from_settings(settings_of(ctx), need_account=need_account)


def store_of(ctx: click.Context) -> Store:
    return open_store(settings_of(ctx).resolved_storage_url)


def fmt_amount(amount: int, token: str = ETH, decimals: int = 18) -> str:
    symbol = "ETH" if int(token, 16) == 0 else f"token {token[:10]}…"
    value = Decimal(amount) / (Decimal(10) ** decimals)
    return f"{value.normalize():f} {symbol}"


def fmt_nnt(amount: int) -> str:
    return f"{(Decimal(amount) / Decimal(10**18)).normalize():f} NNT"
