"""`nnc route deploy`: a cross-chain route to a spoke chain for a deployment on any EVM chain
(`nnc.crosschain.deploy.deploy_route`), with Hyperlane core already on both chains: the home
gateway next to the market, a spoke gateway on the spoke, enrolled with each other, each with its
interchain security module, and the route's records written so `--chain` finds it."""

from __future__ import annotations

import click

from nnc.cli.context import client_of, settings_of


@click.group("route")
def route_group() -> None:
    """Cross-chain routes over Hyperlane (issue 20)."""


@route_group.command("deploy")
@click.option("--spoke-rpc-url", required=True, help="JSON-RPC URL of the spoke chain")
@click.option("--spoke-name", default="spoke", show_default=True, help="the spoke's name for `--chain`")
@click.option("--home-name", default="home", show_default=True)
@click.option("--home-mailbox", required=True, help="Hyperlane's Mailbox on the home chain")
@click.option("--spoke-mailbox", required=True, help="Hyperlane's Mailbox on the spoke chain")
@click.option("--home-domain", type=int, help="the home chain's Hyperlane domain (default: its chain id)")
@click.option("--spoke-domain", type=int, help="the spoke chain's Hyperlane domain (default: its chain id)")
@click.option("--backer", help="credited on the spoke with what the home pool paid (default: the signer)")
@click.option("--home-ism", help="interchain security module of the home gateway (multisig or aggregation)")
@click.option("--spoke-ism", help="interchain security module of the spoke gateway")
@click.option("--ack-window", type=int, default=3600, show_default=True,
              help="seconds before a payer may reclaim an escrow the home chain never acknowledged")
@click.option("--ack-margin", type=int, default=300, show_default=True,
              help="a PUBLISH delivered later than this before its deadline is refused at home")
@click.option("--owner", help="who owns both gateways afterwards (default: the signer; Ownable2Step: accept it)")
@click.option("--profile", help="checks to apply (default: the deployment's profile): only devnet may leave the "
                                "ISMs unset")
@click.pass_context
def deploy_cmd(ctx: click.Context, spoke_rpc_url: str, spoke_name: str, home_name: str, home_mailbox: str,
               spoke_mailbox: str, home_domain: int | None, spoke_domain: int | None, backer: str | None,
               home_ism: str | None, spoke_ism: str | None, ack_window: int, ack_margin: int, owner: str | None,
               profile: str | None) -> None:
    """Deploy and enrol the gateways of a route from this deployment's chain to a spoke chain,
    signed by the configured key on both chains; writes the route's records in the data directory."""
    from eth_account import Account

    from nnc.chain.artifacts import Artifacts
    from nnc.chain.client import ChainClient, connect_web3
    from nnc.crosschain.deploy import RouteParams, deploy_route
    from nnc.crosschain.records import ChainEnd, Gateway, save_route

    settings = settings_of(ctx)
    home = client_of(ctx)
    if home.deployment is None:
        raise click.UsageError("no protocol deployment configured (deployment_file): deploy the protocol first")
    key = settings.private_key_hex()
    assert key is not None  # client_of checked there is a key
    spoke = ChainClient(connect_web3(spoke_rpc_url), Artifacts(), None, Account.from_key(key),
                        settings.gas_multiplier)
    home_id, spoke_id = home.deployment.chain_id, int(spoke.w3.eth.chain_id)
    if home_id == spoke_id:
        raise click.UsageError(f"--spoke-rpc-url reaches chain {spoke_id}, the home chain itself")
    params = RouteParams(home_mailbox=home_mailbox, spoke_mailbox=spoke_mailbox,
                         home_domain=home_domain or home_id, spoke_domain=spoke_domain or spoke_id,
                         backer=backer or home.address, ack_window=ack_window, ack_margin=ack_margin,
                         profile=profile or home.deployment.profile or "devnet", home_ism=home_ism, spoke_ism=spoke_ism)
    route = deploy_route(home, spoke, params, owner)
    ism = f"home {home_ism}, spoke {spoke_ism}" if home_ism and spoke_ism else \
        "the Mailboxes' default ISMs (on a devnet, Hyperlane's test ISM: accepts every message)"
    save_route(settings.data_dir,
               ChainEnd(home_name, home_id, params.home_domain, settings.rpc_url, {"mailbox": home_mailbox}),
               ChainEnd(spoke_name, spoke_id, params.spoke_domain, spoke_rpc_url, {"mailbox": spoke_mailbox}),
               Gateway("HomeGateway", route.home_gateway, route.home_block),
               Gateway("SpokeGateway", route.spoke_gateway, route.spoke_block), route.spoke_transaction,
               home.address, ism, params.profile)
    click.echo(f"HomeGateway  {route.home_gateway} on chain {home_id} (block {route.home_block})")
    click.echo(f"SpokeGateway {route.spoke_gateway} on chain {spoke_id} (block {route.spoke_block}), "
               f"enrolled with each other; verified by {ism}")
    click.echo(f"records: {settings.data_dir / 'deployments'}/{{{home_id},{spoke_id}}}/crosschain.json "
               f"(`--chain {spoke_name}`)")
    click.echo("next: fund the pool (HomeGateway.fund), run the oracle with NNC_HOME_GATEWAY="
               f"{route.home_gateway} and a Hyperlane relayer for both chains; to pay nodes on the origin chain, "
               f"`nnc gov propose MarketConfig.setPayoutRouter {route.home_gateway} --description ...`")


@route_group.command("warp-router")
@click.option("--chain", "chain", required=True, help="the spoke chain (its name or chain id in the route's records)")
@click.option("--token", required=True, help="the credited token's address on that chain, or ETH for the native coin")
@click.option("--router", required=True, help="its Hyperlane warp route router there (HypCollateral or HypNative), "
                                              "or `none` to remove the route")
@click.pass_context
def warp_router_cmd(ctx: click.Context, chain: str, token: str, router: str) -> None:
    """Governance (the spoke gateway's owner): let payees send their credits in TOKEN to other
    chains over ROUTER (`nnc claim --chain CHAIN --to ...`). The router must move TOKEN itself."""
    from web3 import Web3

    from nnc.chain.types import ETH
    from nnc.cli.spoke_commands import spoke_gateway_of
    from nnc.crosschain.token_routes import SpokeTokens, router_contract

    native = token.upper() == "ETH"
    if not native and not Web3.is_address(token):
        raise click.UsageError(f"--token {token!r}: an address on {chain}, or ETH")
    spoke = spoke_gateway_of(ctx, chain)
    tokens = SpokeTokens(spoke.client, spoke.address)
    target: str | None = None
    if router.lower() != "none":
        if not Web3.is_address(router):
            raise click.UsageError(f"--router {router!r}: an address on {chain}, or none")
        moves = str(spoke.client.call(router_contract(spoke.client, router).functions.token(),
                                      f"the token router {router} moves"))
        expected = ETH if native else Web3.to_checksum_address(token)
        if Web3.to_checksum_address(moves) != Web3.to_checksum_address(expected):
            raise click.UsageError(f"router {router} moves {moves}, not {'the native coin' if native else token}")
        target = router
    tokens.set_warp_router(None if native else token, target)
    what = "the native coin" if native else token
    click.echo(f"{chain}: credits in {what} " + (f"go to other chains over {target}" if target
                                                 else "stay on this chain (no warp route)"))
