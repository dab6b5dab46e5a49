"""`nnc task ...`: validate, publish, inspect and cancel training tasks."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from nnc.chain.deploy import NNT
from nnc.chain.deployment import STRATEGY_CONTRACTS
from nnc.chain.market import Market
from nnc.cli.context import client_of, fmt_amount, store_of
from nnc.cli.progress import steps_bar
from nnc.task import compute_units, load_spec, spec_digest
from nnc.task.dryrun import DEFAULT_DRY_STEPS, dry_run, format_seconds, measured_steps
from nnc.task.publish import PublishOptions, parse_amount, publish_task, resolve_token


@click.group("task")
def task_group() -> None:
    """Publish and follow training tasks."""


@task_group.command("validate")
@click.argument("spec_file", type=click.Path(path_type=Path))
def validate_cmd(spec_file: Path) -> None:
    """Check a task spec file; print its digest and cost in compute units."""
    spec = load_spec(spec_file)
    click.echo(f"{spec_file}: valid")
    click.echo(f"  digest         0x{spec_digest(spec).hex()}")
    click.echo(f"  compute units  {compute_units(spec)}")


@task_group.command("dry-run")
@click.argument("spec_file", type=click.Path(path_type=Path))
@click.option("--steps", default=DEFAULT_DRY_STEPS, show_default=True, help="steps to train locally")
@click.option("--price", "price", default=10**12, show_default=True, help="wei per compute unit the budget assumes")
@click.option("--replication", "-r", default=1, show_default=True, help="how many nodes would train the task")
@click.pass_context
def dry_run_cmd(ctx: click.Context, spec_file: Path, steps: int, price: int, replication: int) -> None:
    """Train a few steps of SPEC_FILE here and estimate the task's cost before publishing it."""
    from nnc.training.data import fetch_dataset  # imports torch

    spec = load_spec(spec_file)
    with tempfile.TemporaryDirectory(prefix="nnc-dry-run-data-") as tmp:
        dataset_file = fetch_dataset(spec, store_of(ctx), Path(tmp))
        with steps_bar(ctx, f"training {spec.name}", measured_steps(spec, steps)) as on_progress:
            report = dry_run(spec, steps, price, replication, dataset_file=dataset_file, on_progress=on_progress)
    click.echo(f"{spec_file}: trained {report.steps_run} of {report.total_steps} steps, "
               f"{report.seconds_per_step * 1000:.1f} ms per step")
    click.echo(f"  compute units   {report.compute_units}")
    click.echo(f"  peak memory     {report.peak_memory_mb:.1f} MB above the process's start")
    click.echo(f"  this machine    {format_seconds(report.local_seconds)} for the whole task "
               f"({report.local_training_gflops:.2f} GFLOPS reached, benchmark {report.local_benchmark_gflops:.1f})")
    for cls, seconds in report.seconds_by_class.items():
        click.echo(f"  class {cls}         ~{format_seconds(seconds)}")
    click.echo(f"  suggested budget {fmt_amount(report.suggested_budget_wei)} "
               f"({replication} node(s) at {price} wei per compute unit, protocol fee included)")


@task_group.command("publish")
@click.argument("spec_file", type=click.Path(path_type=Path))
@click.option("--budget", required=True, help="budget in whole tokens, e.g. 0.5")
@click.option("--token", default="ETH", show_default=True, help="ETH, NNT or an allow-listed ERC-20 address")
@click.option("--replication", "-r", default=1, show_default=True, help="how many nodes train the task")
@click.option("--collateral", default="10", show_default=True, help="NNT each assigned node locks")
@click.option("--apply-window", default=60, show_default=True, help="seconds nodes may apply")
@click.option("--deadline", default=3600, show_default=True, help="seconds until results are due")
@click.option("--min-class", default=0, show_default=True, help="minimum hardware class")
@click.option("--min-reputation", default=0, show_default=True, help="minimum node reputation, 0..10000")
@click.option("--strategy", type=click.Choice(list(STRATEGY_CONTRACTS)), default="first-come", show_default=True)
@click.pass_context
def publish_cmd(ctx: click.Context, spec_file: Path, budget: str, token: str, replication: int,
                collateral: str, apply_window: int, deadline: int, min_class: int, min_reputation: int,
                strategy: str) -> None:
    """Store SPEC_FILE, escrow the budget and publish the task."""
    spec = load_spec(spec_file)  # a malformed spec fails here, before anything is sent
    client = client_of(ctx)
    token_address = resolve_token(client, token)
    options = PublishOptions(
        budget=parse_amount(client, budget, token_address), token=token_address, replication=replication,
        collateral=parse_amount(client, collateral, str(client.token.address)),
        apply_window=apply_window, deadline=deadline, min_hardware_class=min_class,
        min_reputation=min_reputation, strategy=strategy)
    task_id, spec_uri = publish_task(client, store_of(ctx), spec, options)
    click.echo(f"published task {task_id} (spec {spec_uri})")


@task_group.command("status")
@click.argument("task_id", type=int)
@click.pass_context
def status_cmd(ctx: click.Context, task_id: int) -> None:
    """Show a task's state, nodes and results."""
    market = Market(client_of(ctx, need_account=False))
    task = market.task(task_id)
    click.echo(f"task {task_id}: {task.status.name.lower()}")
    click.echo(f"  requester    {task.requester}")
    click.echo(f"  budget       {fmt_amount(task.budget, task.token)}")
    click.echo(f"  replication  {task.replication} (submitted {task.submissions})")
    click.echo(f"  compute      {task.compute_units} units, quality {task.quality_score / 100:g}%")
    click.echo(f"  collateral   {task.collateral / NNT:g} NNT per node")
    click.echo(f"  deadlines    apply {task.apply_deadline}, results {task.deadline}")
    for node in market.assignees(task_id):
        digest = market.result_of(task_id, node)
        snapshot = market.latest_snapshot(task_id, node)
        shown = "0x" + digest.hex() if any(digest) else f"(training: snapshot at step {snapshot.step})"
        click.echo(f"  node {node}  {shown}")
    if any(task.result_digest):
        click.echo(f"  result       0x{task.result_digest.hex()}")


@task_group.command("cancel")
@click.argument("task_id", type=int)
@click.pass_context
def cancel_cmd(ctx: click.Context, task_id: int) -> None:
    """Cancel your task before it is assigned; the budget becomes claimable."""
    Market(client_of(ctx)).cancel(task_id)
    click.echo(f"task {task_id} cancelled: claim the refund with `nnc claim`")
