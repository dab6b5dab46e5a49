"""`nnc build`, `nnc deploy`, `nnc claim`: contracts and payments."""

from __future__ import annotations

import click

from nnc.chain.profiles import DEVNET_WARNING, PROFILES, profile_params
from nnc.cli.context import client_of, fmt_amount, fmt_nnt, settings_of


@click.command("build")
@click.option("--force", is_flag=True, help="recompile even if the artifacts are fresh")
@click.option("--check", is_flag=True,
              help="fail, naming them, when the checked-in mirrors differ from the build, instead of writing them")
def build_cmd(force: bool, check: bool) -> None:
    """Compile the contracts into build/contracts (skipped when up to date) and write the Python
    and JavaScript mirrors of their enums, errors, structs and constants."""
    from nnc.chain.build import build_artifacts
    from nnc.chain.mirrors import stale_mirrors, write_mirrors
    from nnc.errors import ArtifactError

    out = build_artifacts(force=force)
    click.echo(f"artifacts in {out}")
    if check:
        stale = stale_mirrors(out)
        if stale:
            raise ArtifactError(f"stale mirrors of the contracts: {', '.join(map(str, stale))}: run `nnc build` "
                                "and commit them")
        return
    for path in write_mirrors(out):
        click.echo(f"wrote {path}")


@click.command("deploy")
@click.option("--profile", type=click.Choice(sorted(PROFILES)), default="devnet", show_default=True,
              help="deploy parameters: devnet (fast votes, NOT safe for real value) or production (days of delay)")
@click.option("--allow-single-party-zk-keys", is_flag=True,
              help="production timings on a test network with the devnet zk keys (anyone holding the devnet "
                   "ceremony's secrets can forge proofs): never for real value")
@click.pass_context
def deploy_cmd(ctx: click.Context, profile: str, allow_single_party_zk_keys: bool) -> None:
    """Deploy the protocol to the chain in the settings and write the deployment file.

    The production profile refuses zk keys that do not come from a finalized multi-party
    ceremony (zk/artifacts/ceremony.json, see `nnc zk ceremony`)."""
    from nnc.chain.build import build_artifacts
    from nnc.chain.client import ChainClient
    from nnc.chain.deploy import deploy_protocol
    from nnc.chain.deploy_journal import DeployJournal
    from nnc.chain.deployment_folder import deployment_folder, write_deployment_folder

    if profile == "production":
        from nnc.errors import UntrustedSetupError
        from nnc.zk.artifacts import CIRCUITS, ZK_ARTIFACTS
        from nnc.zk.trust import check_production_keys

        try:
            check_production_keys(ZK_ARTIFACTS, CIRCUITS)
        except UntrustedSetupError as exc:
            if not allow_single_party_zk_keys:
                raise
            click.secho(f"WARNING: {exc} (--allow-single-party-zk-keys: test network only)", fg="red", bold=True)
    settings = settings_of(ctx)
    params = profile_params(profile)
    if profile == "devnet":
        click.secho(DEVNET_WARNING, fg="yellow", bold=True)
    build_artifacts()
    client = ChainClient.from_settings(settings, need_deployment=False)
    folder = deployment_folder(settings.data_dir, client.w3.eth.chain_id)
    journal = DeployJournal(folder / "journal.json", client.w3.eth.chain_id, client.address, params)
    journal.attach(client)  # resumable: the steps of an interrupted run are not sent again
    deployment = deploy_protocol(client, params)
    journal.mark_complete()
    click.echo(f"{journal.sent} step(s) sent now, {journal.replayed} done by an earlier run "
               f"(journal {journal.path})")
    deployment.save(settings.resolved_deployment_file)
    click.echo(f"profile {profile}: every admin role held by the timelock, the deployer holds none")
    for name, address in deployment.addresses.items():
        click.echo(f"{name:18} {address}")
    for name, address in deployment.libraries.items():
        click.echo(f"{name:18} {address} (library, linked into the market)")
    write_deployment_folder(folder, deployment, client.artifacts, params)
    click.echo(f"deployment written to {settings.resolved_deployment_file}; ABIs, blocks and parameters in {folder}")


@click.command("claim")
@click.option("--token", default="ETH", show_default=True, help="ETH, NNT or a token address")
@click.option("--bonus", is_flag=True, help="withdraw the rewards pool's NNT bonuses instead")
@click.option("--all", "everything", is_flag=True,
              help="withdraw everything owed to you anywhere: the market (ETH and NNT), bonuses, slashed-stake "
                   "shares, arbitration payouts and spot-check fees")
@click.option("--chain", default="home", show_default=True,
              help="withdraw what a cross-chain route's spoke gateway credited you on this chain instead")
@click.option("--to", "to", default=None, metavar="CHAIN",
              help="send it to your address on CHAIN over the token's Hyperlane warp route instead")
@click.pass_context
def claim_cmd(ctx: click.Context, token: str, bonus: bool, everything: bool, chain: str, to: str | None) -> None:
    """Withdraw everything the task market owes you in TOKEN (or, with --bonus, your NNT bonuses;
    with --all, every payout the protocol holds for you; with --chain, your credits on a spoke chain;
    with --to, to another chain over a warp route)."""
    if to is not None:
        if bonus or everything:
            raise click.UsageError("--to sends one chain's credits over warp routes; leave --bonus and --all out")
        from nnc.cli.spoke_commands import claim_over_routes

        claim_over_routes(ctx, chain, to, None if token == "ETH" and chain != "home" else token)
        return
    if chain != "home":
        from nnc.cli.spoke_commands import claim_on_spoke

        claim_on_spoke(ctx, chain)
        return
    from nnc.chain.market import Market
    from nnc.chain.payouts import payouts
    from nnc.task.publish import resolve_token

    client = client_of(ctx)
    if bonus or everything:
        owed = [p for p in payouts(client, client.address) if everything or p.source.startswith("rewards pool")]
        if not owed and bonus:
            raise click.UsageError("this deployment has no rewards pool")
        nnt = str(client.token.address)
        for payout in owed:
            show = fmt_nnt if payout.token == nnt else (lambda amount: fmt_amount(amount, payout.token))  # noqa: B023
            if payout.amount == 0:
                click.echo(f"{payout.source}: nothing owed ({show(0)})")
                continue
            payout.claim()
            click.echo(f"{payout.source}: claimed {show(payout.amount)}")
        return
    address = resolve_token(client, token)
    market = Market(client)
    amount = market.claimable(client.address, address)
    market.claim(address)
    click.echo(f"claimed {fmt_amount(amount, address)}")
