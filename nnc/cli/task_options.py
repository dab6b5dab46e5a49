"""The market terms a task is published with, as the options `nnc task publish` and `nnc task
cofund open` share: token, replication, collateral, windows, hardware class, reputation and the
scheduling strategy."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from nnc.chain.types import STRATEGY_CONTRACTS

if TYPE_CHECKING:
    from nnc.chain.client import ChainClient
    from nnc.task.publish import PublishOptions

F = TypeVar("F", bound=Callable[..., Any])


def task_terms_options(apply_window: int) -> Callable[[F], F]:
    """Adds the terms' options to a command (`apply_window`: the default seconds nodes may apply)."""
    options = [
        click.option("--token", default="ETH", show_default=True, help="ETH, NNT or an allow-listed ERC-20 address"),
        click.option("--replication", "-r", default=1, show_default=True, help="how many nodes train the task"),
        click.option("--collateral", default="10", show_default=True, help="NNT each assigned node locks"),
        click.option("--apply-window", default=apply_window, show_default=True,
                     help="seconds nodes may apply (from now)"),
        click.option("--deadline", default=3600, show_default=True, help="seconds until results are due (from now)"),
        click.option("--min-class", default=0, show_default=True, help="minimum hardware class"),
        click.option("--min-reputation", default=0, show_default=True, help="minimum node reputation, 0..10000"),
        click.option("--strategy", type=click.Choice(list(STRATEGY_CONTRACTS)), default="first-come",
                     show_default=True),
    ]

    def decorate(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def publish_options(client: ChainClient, budget: str, *, token: str, replication: int, collateral: str,
                    apply_window: int, deadline: int, min_class: int, min_reputation: int, strategy: str,
                    round_duration: int | None = None, paying: ChainClient | None = None) -> PublishOptions:
    """The `PublishOptions` of the terms' options as given (amounts in whole tokens, the token by
    name or address), with `budget` in the task's token. `paying`: the chain the budget is paid on
    when not `client`'s (a spoke: its native coin, ETH, or a token's address there)."""
    from nnc.task.publish import PublishError, PublishOptions, parse_amount, resolve_token

    if paying is not None and token.upper() == "NNT":
        raise PublishError("on a spoke chain pay in its native coin (ETH) or an allow-listed token's address, not NNT")
    payer = paying or client
    token_address = resolve_token(payer, token)
    return PublishOptions(
        budget=parse_amount(payer, budget, token_address), token=token_address, replication=replication,
        collateral=parse_amount(client, collateral, str(client.token.address)), apply_window=apply_window,
        deadline=deadline, min_hardware_class=min_class, min_reputation=min_reputation, strategy=strategy,
        round_duration=round_duration)
