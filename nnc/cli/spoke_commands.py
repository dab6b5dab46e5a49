"""`--chain <name>` of `nnc task publish` and `nnc claim`: pay and get paid on a spoke chain of a
cross-chain route (issue 20), found in `<data_dir>/deployments/*/crosschain.json`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from nnc.chain.types import ETH
from nnc.cli.context import client_of, fmt_amount, settings_of, store_of

if TYPE_CHECKING:
    from nnc.chain.client import ChainClient
    from nnc.crosschain.gateways import SpokeGateway
    from nnc.task import TaskSpec
    from nnc.task.publish import PublishOptions


def home_gateway_address(ctx: click.Context, client: ChainClient) -> str | None:
    """The home gateway of this deployment: the `home_gateway` setting, else the one recorded for
    the home chain in the data directory; None without a cross-chain route."""
    from nnc.crosschain.records import home_gateway

    settings = settings_of(ctx)
    if settings.home_gateway:
        return settings.home_gateway
    chain_id = client.deployment.chain_id if client.deployment is not None else int(client.w3.eth.chain_id)
    return home_gateway(settings.data_dir, chain_id)


def spoke_gateway_of(ctx: click.Context, chain: str) -> SpokeGateway:
    """The spoke gateway of chain `chain`, signing with the settings' key on that chain."""
    from eth_account import Account

    from nnc.chain.artifacts import Artifacts
    from nnc.chain.client import ChainClient, connect_web3
    from nnc.crosschain.gateways import SpokeGateway
    from nnc.crosschain.records import find_record

    settings = settings_of(ctx)
    record = find_record(settings.data_dir, chain)
    if record.gateway.contract != "SpokeGateway":
        raise click.UsageError(f"chain {chain!r} is the route's home chain: leave --chain out")
    key = settings.private_key_hex()
    if key is None:
        raise click.UsageError("no signing key: set keystore (NNC_KEYSTORE), key_file (NNC_KEY_FILE) or "
                               "NNC_PRIVATE_KEY")
    client = ChainClient(connect_web3(record.rpc_url), Artifacts(), None, Account.from_key(key),
                         settings.gas_multiplier)
    return SpokeGateway(client, record.gateway.address)


def publish_from_spoke(ctx: click.Context, chain: str, spoke: SpokeGateway, spec: TaskSpec,
                       options: PublishOptions) -> None:
    from nnc.task.spoke_publish import publish_on_spoke

    published = publish_on_spoke(client_of(ctx, need_account=False), spoke, store_of(ctx), spec, options)
    budget = fmt_amount(published.budget) if options.token == ETH else f"{published.budget} base units of token " \
        f"{options.token}"
    click.echo(f"escrowed {budget} on {chain} as escrow {published.escrow_id} "
               f"(Hyperlane fee {fmt_amount(published.fee)}); PUBLISH message {published.message_id}")
    click.echo(f"the task is published at home once the relayer delivers it; if it is not acknowledged by "
               f"chain time {published.deadline}, reclaim the budget on {chain}")


def claim_on_spoke(ctx: click.Context, chain: str) -> None:
    """Withdraws the account's native credits on the spoke and its credits in every ERC-20 it was
    ever credited in there (`TokenCredited` events: refunds and reclaims of token escrows)."""
    from nnc.crosschain.token_routes import SpokeTokens

    spoke = spoke_gateway_of(ctx, chain)
    account = spoke.client.address
    owed = spoke.credits(account)
    if owed:
        spoke.claim()
        click.echo(f"{chain}: claimed {fmt_amount(owed)}")
    tokens = SpokeTokens(spoke.client, spoke.address)
    credited = {str(e["token"]) for e in spoke.events("TokenCredited", account=account)}
    claimed_tokens = 0
    for token in sorted(credited):
        amount = tokens.token_credits(token, account)
        if amount:
            tokens.claim_token(token)
            claimed_tokens += 1
            click.echo(f"{chain}: claimed {amount} base units of token {token}")
    if not owed and not claimed_tokens:
        click.echo(f"{chain}: nothing owed (0 ETH, no token credits)")


def claim_over_routes(ctx: click.Context, chain: str, to: str, token: str | None) -> None:
    """`nnc claim --to TO`: sends what the account is owed, on the spoke `chain` (its credits
    there) or at home (`chain` "home": the market's payout in `token`), to the same address on
    chain `to` over the token's Hyperlane warp route; the relayer delivers it."""
    from nnc.crosschain.records import find_record

    destination = find_record(settings_of(ctx).data_dir, to).domain
    if chain == "home":
        _claim_home_over_route(ctx, to, destination, token)
        return
    from nnc.crosschain.token_routes import SpokeTokens

    spoke = spoke_gateway_of(ctx, chain)
    tokens = SpokeTokens(spoke.client, spoke.address)
    account = spoke.client.address
    credited: list[str | None] = [None, *sorted({str(e["token"]) for e in spoke.events("TokenCredited",
                                                                                        account=account)})]
    if token is not None:
        credited = [None if token.upper() == "ETH" else token]
    sent = 0
    for each in credited:
        amount = tokens.token_credits(each, account) if each else tokens.credits(account)
        what = f"token {each}" if each else "ETH"
        if not amount:
            continue
        if tokens.warp_router(each) is None:
            click.echo(f"{chain}: {amount} base units of {what} stay here, no warp route carries it "
                       f"(`nnc claim --chain {chain}` withdraws them)")
            continue
        out = tokens.claim_to(each, destination, account, amount)
        sent += 1
        click.echo(f"{chain}: sent {amount} base units of {what} to {to} over its warp route (interchain gas "
                   f"{fmt_amount(out.fee)}, message {out.message_id}); the relayer delivers it")
    if not sent:
        click.echo(f"{chain}: nothing sent to {to} (no credits with a warp route)")


def _claim_home_over_route(ctx: click.Context, to: str, destination: int, token: str | None) -> None:
    from nnc.chain.market import Market
    from nnc.crosschain.token_routes import quote_transfer_fee, warp_from_wallet
    from nnc.errors import ChainError

    if token is None or token.upper() in ("ETH", "NNT"):
        raise click.UsageError("--to from the home chain needs --token: a warp route's token there (its synthetic)")
    client = client_of(ctx)
    market = Market(client)
    amount = market.claimable(client.address, token)
    if not amount:
        click.echo(f"nothing owed in {token}")
        return
    try:  # a token no route carries to `to` is refused here, before anything is claimed
        quote_transfer_fee(client, token, destination, client.address, amount)
    except ChainError as exc:
        raise click.UsageError(f"{token} is not a warp route to {to} (domain {destination}): {exc}") from None
    market.claim(token)
    out = warp_from_wallet(client, token, destination, client.address, amount)
    click.echo(f"claimed {amount} base units of {token} and sent them to {to} over its warp route (interchain gas "
               f"{fmt_amount(out.fee)}, message {out.message_id}); the relayer delivers them")
