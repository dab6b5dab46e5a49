"""`nnc node ...`: register a compute node, manage its stake, show its state."""

from __future__ import annotations

import click

from nnc.cli.context import client_of, fmt_nnt
from nnc.cli.times import chain_time


@click.group("node")
def node_group() -> None:
    """Register a compute node and manage its stake."""


@node_group.command("register")
@click.option("--benchmark-seconds", default=1.0, show_default=True)
@click.pass_context
def register_cmd(ctx: click.Context, benchmark_seconds: float) -> None:
    """Measure this machine and register it with its hardware profile digest."""
    from nnc.chain.registry import Registry
    from nnc.node.profile import collect_profile, hardware_class, profile_digest  # imports torch

    profile = collect_profile(benchmark_seconds)
    registry = Registry(client_of(ctx))
    digest, hw_class = profile_digest(profile), hardware_class(profile)
    registry.register(digest, hw_class)
    click.echo(f"registered: class {hw_class}, {profile.benchmark.matmul_gflops:.1f} GFLOPS, "
               f"profile 0x{digest.hex()}")


@node_group.command("stake")
@click.argument("amount")
@click.pass_context
def stake_cmd(ctx: click.Context, amount: str) -> None:
    """Stake AMOUNT NNT (approves the registry first)."""
    from nnc.chain.registry import Registry
    from nnc.task.publish import parse_amount

    client = client_of(ctx)
    Registry(client).stake(parse_amount(client, amount, str(client.token.address)))
    click.echo(f"staked {amount} NNT")


@node_group.command("price")
@click.argument("price_per_compute_unit")
@click.option("--token", default="ETH", show_default=True, help="ETH, NNT or a token address")
@click.pass_context
def price_cmd(ctx: click.Context, price_per_compute_unit: str, token: str) -> None:
    """Set your price per compute unit for tasks paid in TOKEN (in whole tokens; 0 = any price)."""
    from nnc.chain.registry import Registry
    from nnc.task.publish import parse_amount, resolve_token

    client = client_of(ctx)
    address = resolve_token(client, token)
    Registry(client).set_price(address, parse_amount(client, price_per_compute_unit, address))
    click.echo(f"price set: {price_per_compute_unit} {token} per compute unit")


@node_group.command("unbond")
@click.argument("amount")
@click.pass_context
def unbond_cmd(ctx: click.Context, amount: str) -> None:
    """Start unbonding AMOUNT NNT of free stake."""
    from nnc.chain.registry import Registry
    from nnc.task.publish import parse_amount

    client = client_of(ctx)
    Registry(client).request_unbond(parse_amount(client, amount, str(client.token.address)))
    click.echo(f"unbonding {amount} NNT")


@node_group.command("withdraw")
@click.pass_context
def withdraw_cmd(ctx: click.Context) -> None:
    """Withdraw unbonded stake once the unbonding delay has passed."""
    from nnc.chain.registry import Registry

    Registry(client_of(ctx)).withdraw()
    click.echo("withdrawn")


@node_group.command("payouts")
@click.option("--on", "where", type=click.Choice(["origin", "home"]),
              help="origin: on each cross-chain task's origin chain (the default); home: on the home chain")
@click.pass_context
def payouts_cmd(ctx: click.Context, where: str | None) -> None:
    """Show, or with --on choose, where your payouts for cross-chain tasks are credited. A choice
    applies to tasks that settle from now on."""
    from nnc.cli.spoke_commands import home_gateway_address
    from nnc.crosschain.gateways import HomeGateway

    client = client_of(ctx)
    address = home_gateway_address(ctx, client)
    if address is None:
        raise click.UsageError("this deployment has no cross-chain route (no home gateway recorded or set): "
                               "every payout is credited on this chain")
    gateway = HomeGateway(client, address)
    if where is not None:
        gateway.set_paid_on_home(where == "home")
    if gateway.paid_on_home(client.address):
        click.echo(f"{client.address}: payouts of cross-chain tasks are credited on the home chain "
                   "(claim with `nnc claim`)")
    else:
        click.echo(f"{client.address}: payouts of cross-chain tasks are credited on each task's origin chain "
                   "(claim with `nnc claim --chain <name>`)")


@node_group.command("status")
@click.argument("address", required=False)
@click.pass_context
def status_cmd(ctx: click.Context, address: str | None) -> None:
    """Show a node's registration and stake (default: your own)."""
    from nnc.chain.registry import Registry

    client = client_of(ctx, need_account=address is None)
    registry = Registry(client)
    node = registry.node(address or client.address)
    if not node.registered:
        click.echo(f"{node.address}: not registered")
        return
    click.echo(f"{node.address}: hardware class {node.hardware_class}, profile 0x{node.profile_digest.hex()}")
    click.echo(f"  staked     {fmt_nnt(node.staked)} (locked {fmt_nnt(node.locked)}, "
               f"free {fmt_nnt(node.staked - node.locked)})")
    now = client.block_timestamp()
    ready = f" (ready {chain_time(node.unbond_ready_at, now)})" if node.unbonding else ""
    click.echo(f"  unbonding  {fmt_nnt(node.unbonding)}{ready}")
    click.echo(f"  reputation {registry.reputation_of(node.address) / 100:g}%")
    attested = (f"{node.benchmark_score} ({chain_time(node.benchmark_attested_at, now)})" if node.benchmark_attested_at
                else "none")
    click.echo(f"  benchmark  {attested}")
    key = node.encryption_key.hex() if any(node.encryption_key) else "(none registered)"
    click.echo(f"  encryption key {key}")
