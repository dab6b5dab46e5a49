"""`nnc build`, `nnc deploy`, `nnc claim`: contracts and payments."""

from __future__ import annotations

import click

from nnc.chain.profiles import DEVNET_WARNING, PROFILES, profile_params
from nnc.cli.context import client_of, fmt_amount, settings_of


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
@click.pass_context
def deploy_cmd(ctx: click.Context, profile: str) -> None:
    """Deploy the protocol to the chain in the settings and write the deployment file."""
    from nnc.chain.build import build_artifacts
    from nnc.chain.client import ChainClient
    from nnc.chain.deploy import deploy_protocol

    settings = settings_of(ctx)
    params = profile_params(profile)
    if profile == "devnet":
        click.secho(DEVNET_WARNING, fg="yellow", bold=True)
    build_artifacts()
    client = ChainClient.from_settings(settings, need_deployment=False)
    deployment = deploy_protocol(client, params)
    deployment.save(settings.resolved_deployment_file)
    click.echo(f"profile {profile}: every admin role held by the timelock, the deployer holds none")
    for name, address in deployment.addresses.items():
        click.echo(f"{name:18} {address}")
    for name, address in deployment.libraries.items():
        click.echo(f"{name:18} {address} (library, linked into the market)")
    click.echo(f"deployment written to {settings.resolved_deployment_file}")


@click.command("claim")
@click.option("--token", default="ETH", show_default=True, help="ETH, NNT or a token address")
@click.pass_context
def claim_cmd(ctx: click.Context, token: str) -> None:
    """Withdraw everything the task market owes you in TOKEN."""
    from nnc.chain.market import Market
    from nnc.task.publish import resolve_token

    client = client_of(ctx)
    address = resolve_token(client, token)
    market = Market(client)
    amount = market.claimable(client.address, address)
    market.claim(address)
    click.echo(f"claimed {fmt_amount(amount, address)}")
