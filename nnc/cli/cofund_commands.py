"""`nnc task cofund ...`: co-funded tasks. Open a funding pool for a spec, add to it, publish it,
act for the funders as lead (cancel, score, spot-check), claim your share of what comes back,
and inspect it."""

from __future__ import annotations

from pathlib import Path

import click

from nnc.chain.profiles import NNT
from nnc.cli.context import client_of, fmt_amount, store_of
from nnc.cli.task_options import publish_options, task_terms_options
from nnc.cli.times import chain_time
from nnc.task import load_spec


@click.group("cofund")
def cofund_group() -> None:
    """Fund a task together: each funder's share of every refund is its share of the budget."""


@cofund_group.command("open")
@click.argument("spec_file", type=click.Path(path_type=Path))
@click.option("--target", required=True, help="target budget in whole tokens, e.g. 1.5")
@click.option("--amount", required=True, help="your first contribution in whole tokens (at least target / 64)")
@click.option("--funding-window", default=300, show_default=True,
              help="seconds others may contribute (ends by the time applications close)")
@task_terms_options(apply_window=600)
@click.pass_context
def open_cmd(ctx: click.Context, spec_file: Path, target: str, amount: str, funding_window: int, token: str,
             replication: int, collateral: str, apply_window: int, deadline: int, min_class: int,
             min_reputation: int, strategy: str) -> None:
    """Store SPEC_FILE and open a funding pool for it, led by you, with your first contribution."""
    from nnc.task.cofund import CofundOptions, open_cofunded_task
    from nnc.task.publish import parse_amount

    spec = load_spec(spec_file)  # a malformed spec fails here, before anything is sent
    client = client_of(ctx)
    task = publish_options(client, target, token=token, replication=replication, collateral=collateral,
                           apply_window=apply_window, deadline=deadline, min_class=min_class,
                           min_reputation=min_reputation, strategy=strategy)
    options = CofundOptions(task=task, amount=parse_amount(client, amount, task.token),
                            funding_window=funding_window)
    pool, spec_uri = open_cofunded_task(client, store_of(ctx), spec, options)
    click.echo(f"opened pool {pool} (spec {spec_uri})")
    click.echo(f"  others add with `nnc task cofund add {pool} AMOUNT`; publish once the target is reached "
               f"with `nnc task cofund publish {pool}`")


@cofund_group.command("add")
@click.argument("pool")
@click.argument("amount")
@click.pass_context
def add_cmd(ctx: click.Context, pool: str, amount: str) -> None:
    """Contribute AMOUNT (whole tokens) to POOL while its funding is open."""
    from nnc.chain.funding import CoFunding
    from nnc.task.publish import parse_amount

    cofunding = CoFunding(client_of(ctx))
    view = cofunding.view(pool)
    value = parse_amount(cofunding.client, amount, view.token)
    cofunding.contribute(pool, value)
    after = cofunding.view(pool)
    click.echo(f"pool {after.address}: you added {fmt_amount(value, view.token)}; total "
               f"{fmt_amount(after.total, view.token)} of target {fmt_amount(after.target, view.token)}")


@cofund_group.command("publish")
@click.argument("pool")
@click.pass_context
def publish_cmd(ctx: click.Context, pool: str) -> None:
    """Publish POOL's task on the market (anyone, once its target is reached)."""
    from nnc.chain.funding import CoFunding

    task_id = CoFunding(client_of(ctx)).publish(pool)
    click.echo(f"pool {pool}: published task {task_id}")


@cofund_group.command("cancel")
@click.argument("pool")
@click.pass_context
def cancel_cmd(ctx: click.Context, pool: str) -> None:
    """Lead only: close POOL's funding, or cancel its task while applications are open. Every
    funder then claims its share back."""
    from nnc.chain.funding import CoFunding

    CoFunding(client_of(ctx)).cancel(pool)
    click.echo(f"pool {pool}: cancelled; each funder claims its share with `nnc task cofund claim {pool}`")


@cofund_group.command("score")
@click.argument("pool")
@click.argument("score", type=click.IntRange(0, 10_000))
@click.option("--accepted/--rejected", default=True, show_default=True,
              help="whether the model meets the spec's acceptance threshold")
@click.pass_context
def score_cmd(ctx: click.Context, pool: str, score: int, accepted: bool) -> None:
    """Lead only: report the quality SCORE (0..10000) of POOL's task for the funders (an oracle's
    report overrides it; anyone may challenge it)."""
    from nnc.chain.funding import CoFunding

    CoFunding(client_of(ctx)).report_quality(pool, score, accepted)
    click.echo(f"pool {pool}: quality {score / 100:g}% reported ({'accepted' if accepted else 'rejected'})")


@cofund_group.command("verify")
@click.argument("pool")
@click.option("--segments", default=4, show_default=True, help="segments the verifier re-executes")
@click.option("--tolerance", default=1e-4, show_default=True, help="largest relative L2 distance")
@click.option("--fee", default="0.01", show_default=True, help="verification fee in ETH, paid by you")
@click.pass_context
def verify_cmd(ctx: click.Context, pool: str, segments: int, tolerance: float, fee: str) -> None:
    """Lead only: turn on spot-checking of POOL's published single-trainer task, paying the fee
    yourself (an unused fee comes back to you alone: `nnc task cofund claim POOL` after
    `nnc verify refund TASK`)."""
    from nnc.chain.funding import CoFunding
    from nnc.chain.market import Market
    from nnc.chain.types import ETH
    from nnc.task.execution import check_spot_check_tolerance
    from nnc.task.publish import parse_amount, published_spec

    cofunding = CoFunding(client_of(ctx))
    task_id = cofunding.view(pool).task_id
    if task_id == 0:
        raise click.ClickException(f"pool {pool} has not published its task yet: spot-checking is turned on "
                                   f"once the task is on the market")
    _, spec = published_spec(Market(cofunding.client), store_of(ctx), task_id)
    check_spot_check_tolerance(spec, tolerance)
    cofunding.enable_spot_check(pool, segments, tolerance, parse_amount(cofunding.client, fee, ETH))
    click.echo(f"pool {pool}: task {task_id} spot-checked, {segments} segment(s), tolerance {tolerance:g}")


@cofund_group.command("claim")
@click.argument("pool")
@click.option("--token", default=None, help="ETH, NNT or an ERC-20 address (default: the pool's token)")
@click.pass_context
def claim_cmd(ctx: click.Context, pool: str, token: str | None) -> None:
    """Take your share of what POOL got back (refund, leftover, arbitration's requester share)."""
    from nnc.chain.funding import CoFunding
    from nnc.errors import NNCError
    from nnc.task.publish import resolve_token

    cofunding = CoFunding(client_of(ctx))
    token_address = resolve_token(cofunding.client, token) if token else cofunding.view(pool).token
    cofunding.collect_due(pool, token_address)
    if cofunding.claimable(pool, token=token_address) == 0:
        raise NNCError(f"nothing to claim from pool {pool} in token {token_address} for {cofunding.client.address} "
                       f"yet (the task may still be running, or you claimed your share already)")
    paid = cofunding.claim(pool, token_address)
    click.echo(f"pool {pool}: claimed {fmt_amount(paid, token_address)}")


@cofund_group.command("show")
@click.argument("pool")
@click.pass_context
def show_cmd(ctx: click.Context, pool: str) -> None:
    """Show POOL: its status, target, funders and their shares, and its task."""
    from nnc.chain.funding import CoFunding

    cofunding = CoFunding(client_of(ctx, need_account=False))
    v = cofunding.view(pool)
    click.echo(f"pool {v.address}: {v.status.name.lower()}")
    click.echo(f"  lead         {v.lead}")
    click.echo(f"  raised       {fmt_amount(v.total, v.token)} of target {fmt_amount(v.target, v.token)} "
               f"(a new funder brings at least {fmt_amount(v.min_contribution, v.token)})")
    click.echo(f"  funding      until {chain_time(v.funding_deadline, cofunding.client.block_timestamp())}")
    click.echo(f"  task         {v.task_id or '(not published)'}: spec 0x{v.terms.spec_digest.hex()} "
               f"({v.terms.spec_uri}), r={v.terms.replication}, collateral {v.terms.collateral / NNT:g} NNT")
    for f in v.funders:
        owed = cofunding.claimable(pool, f.account, v.token)
        click.echo(f"  funder {f.account}  {fmt_amount(f.contribution, v.token)} ({v.share_bps(f.account) / 100:g}%)"
                   f"  claimable {fmt_amount(owed, v.token)}")


@cofund_group.command("list")
@click.pass_context
def list_cmd(ctx: click.Context) -> None:
    """List every pool the deployment's factory opened, oldest first."""
    from nnc.chain.funding import CoFunding

    cofunding = CoFunding(client_of(ctx, need_account=False))
    for address in cofunding.pools():
        v = cofunding.view(address)
        task = f"task {v.task_id}" if v.task_id else "no task yet"
        click.echo(f"{v.address}  {v.status.name.lower():<9}  {fmt_amount(v.total, v.token)} of "
                   f"{fmt_amount(v.target, v.token)}  {len(v.funders)} funder(s)  {task}")
