"""`nnc task ...`: validate, dry-run, train, publish, submit, inspect and cancel tasks, and fetch an
inference task's outputs."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from nnc.chain.profiles import NNT, PROFILES, ProtocolParams, profile_params
from nnc.cli.context import client_of, fmt_amount, settings_of, store_of
from nnc.cli.progress import bytes_bar, stages_bar, steps_bar
from nnc.cli.round_commands import echo_book_of
from nnc.cli.task_options import publish_options, task_terms_options
from nnc.cli.times import chain_time
from nnc.errors import ChainUnavailableError
from nnc.node.estimate import (
    DEFAULT_DRY_STEPS,
    DEFAULT_PRICE_WEI,
    PricingTerms,
    estimate,
    estimate_document,
    format_seconds,
    measured_steps,
    terms_from_chain,
    terms_from_profile,
)
from nnc.task import compute_units, load_spec, spec_digest

if TYPE_CHECKING:
    from nnc.chain.client import ChainClient
    from nnc.task import TaskSpec
    from nnc.training.program_package import ProgramFiles


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
@click.option("--price", "price", default=DEFAULT_PRICE_WEI, show_default=True,
              help="wei per compute unit the budget assumes")
@click.option("--replication", "-r", default=1, show_default=True, help="how many nodes would train the task")
@click.option("--offline", is_flag=True, help="price with the deploy profile's fee and weights, not the chain's")
@click.option("--profile", "profile", type=click.Choice(list(PROFILES)), default="devnet", show_default=True,
              help="deploy profile whose fee and weights price the budget when no chain is read")
@click.option("--json", "as_json", is_flag=True, help="print the estimate as the API's JSON document")
@click.pass_context
def dry_run_cmd(ctx: click.Context, spec_file: Path, steps: int, price: int, replication: int, offline: bool,
                profile: str, as_json: bool) -> None:
    """Train a few steps of SPEC_FILE here and estimate the task's cost before publishing it.

    The budget is priced with the protocol fee and settlement weights of the configured chain
    when it is reachable, else with the deploy profile's (the output says which)."""
    from nnc.training.data import fetch_dataset  # imports torch

    spec = load_spec(spec_file)
    terms = _pricing_terms(ctx, offline, profile_params(profile))
    with tempfile.TemporaryDirectory(prefix="nnc-dry-run-data-") as tmp:
        dataset_file = fetch_dataset(spec, store_of(ctx), Path(tmp))
        files = _task_files(ctx, spec, Path(tmp))  # a program runs in the sandbox
        with steps_bar(ctx, f"training {spec.name}", measured_steps(spec, steps)) as on_progress:
            report = estimate(spec, terms, steps=steps, price_per_compute_unit=price, replication=replication,
                              dataset_file=dataset_file, on_progress=on_progress, files=files)
    if as_json:
        click.echo(json.dumps(estimate_document(report)))
        return
    if report.seconds_per_step is None or report.estimated_seconds is None:
        click.echo(f"{spec_file}: not trained here ({report.untimed_reason})")
    else:
        click.echo(f"{spec_file}: trained {report.steps_measured} of {report.total_steps} steps on {report.device}, "
                   f"{report.seconds_per_step * 1000:.1f} ms per step")
    click.echo(f"  compute units   {report.compute_units}")
    if report.reproducible is not None:
        distance = "" if report.cpu_cuda_distance is None else f", CPU vs CUDA distance {report.cpu_cuda_distance:.3g}"
        click.echo(f"  reproducible    {'yes' if report.reproducible else 'NO'} (two runs from the seed{distance}; "
                   f"spot-check tolerance at least {report.suggested_tolerance:.3g})")
    if report.determinism_warning is not None:
        click.echo(f"  warning: {report.determinism_warning}", err=True)
    if report.peak_memory_mb is not None:
        click.echo(f"  peak memory     {report.peak_memory_mb:.1f} MB above the process's start")
    if report.estimated_seconds is not None:
        click.echo(f"  this machine    {format_seconds(report.estimated_seconds)} for the whole task "
                   f"({report.training_gflops:.2f} GFLOPS reached, benchmark {report.benchmark_gflops:.1f})")
    for cls, seconds in report.seconds_by_class.items():
        click.echo(f"  class {cls}         ~{format_seconds(seconds)}")
    settlement = report.terms.settlement
    click.echo(f"  suggested budget {fmt_amount(report.suggested_budget_wei)} "
               f"({replication} node(s) at {price} wei per compute unit; the fee comes out of their pay)")
    click.echo(f"  each node nets  {fmt_amount(report.node_net_wei[0])} to {fmt_amount(report.node_net_wei[1])} "
               f"(by quality and reputation)")
    click.echo(f"  fee and weights {settlement.protocol_fee_bps} bps fee, weights base/quality/reputation "
               f"{settlement.base_weight_bps}/{settlement.quality_weight_bps}/{settlement.reputation_weight_bps} "
               f"bps, from the {report.terms.source}: {report.terms.detail}")


def _task_files(ctx: click.Context, spec: TaskSpec, cache: Path) -> ProgramFiles:
    """The spec's program package, init weights or base model, fetched into `cache` and checked
    (the chain is read only for a base model; this machine's X25519 key opens a sealed one)."""
    from nnc.library import fetch_task_files
    from nnc.storage.crypto import load_key
    from nnc.training.program_package import fetch_program_files

    if spec.base_model is None:
        return fetch_program_files(spec, store_of(ctx), cache)
    key_file = settings_of(ctx).resolved_encryption_key_file
    return fetch_task_files(spec, client_of(ctx, need_account=False), store_of(ctx), cache,
                            load_key(key_file) if key_file.is_file() else None)


def _pricing_terms(ctx: click.Context, offline: bool, profile: ProtocolParams) -> PricingTerms:
    """The chain's fee and weights when the configured deployment's chain answers, else the profile's."""
    if offline:
        return terms_from_profile(profile, "--offline")
    deployment_file = settings_of(ctx).resolved_deployment_file
    if not deployment_file.exists():
        return terms_from_profile(profile, f"no deployment file at {deployment_file}")
    try:
        client = client_of(ctx, need_account=False)
    except ChainUnavailableError as exc:
        return terms_from_profile(profile, str(exc))
    return terms_from_chain(client)


@task_group.command("publish")
@click.argument("spec_file", type=click.Path(path_type=Path))
@click.option("--budget", required=True, help="budget in whole tokens, e.g. 0.5")
@task_terms_options(apply_window=60)
@click.option("--round-duration", type=int, default=None,
              help="seconds per round of a parallel task (default: 90% of deadline − apply window, split over "
                   "its rounds)")
@click.option("--chain", default="home", show_default=True,
              help="pay on this spoke chain of a cross-chain route (its native coin, or --token ADDRESS of a token "
                   "allow-listed there); the task runs at home")
@click.pass_context
def publish_cmd(ctx: click.Context, spec_file: Path, budget: str, token: str, replication: int,
                collateral: str, apply_window: int, deadline: int, min_class: int, min_reputation: int,
                strategy: str, round_duration: int | None, chain: str) -> None:
    """Store SPEC_FILE, escrow the budget and publish the task."""
    from nnc.task.publish import publish_task

    spec = load_spec(spec_file)  # a malformed spec fails here, before anything is sent
    client = client_of(ctx)
    if spec.base_model is not None:  # an unknown model, or one that cannot be its start, fails here too
        from nnc.library import check_base_model

        check_base_model(client, store_of(ctx), spec)
    if spec.parallel is not None and replication == 1:  # the default: a parallel task takes one node per shard
        replication = spec.parallel.nodes
    if chain != "home":
        from nnc.cli.spoke_commands import publish_from_spoke, spoke_gateway_of

        spoke = spoke_gateway_of(ctx, chain)
        options = publish_options(client, budget, token=token, replication=replication, collateral=collateral,
                                  apply_window=apply_window, deadline=deadline, min_class=min_class,
                                  min_reputation=min_reputation, strategy=strategy, paying=spoke.client)
        publish_from_spoke(ctx, chain, spoke, spec, options)
        return
    options = publish_options(client, budget, token=token, replication=replication, collateral=collateral,
                              apply_window=apply_window, deadline=deadline, min_class=min_class,
                              min_reputation=min_reputation, strategy=strategy, round_duration=round_duration)
    task_id, spec_uri = publish_task(client, store_of(ctx), spec, options)
    click.echo(f"published task {task_id} (spec {spec_uri})")


def _show_origin(ctx: click.Context, client: ChainClient, task_id: int, token: str) -> None:
    """A task published from a spoke chain (its requester is the home gateway's account): its
    origin, and the payouts owed to its nodes there."""
    from nnc.cli.spoke_commands import home_gateway_address
    from nnc.crosschain.gateways import BridgedStatus, HomeGateway

    address = home_gateway_address(ctx, client)
    if address is None:
        return
    gateway = HomeGateway(client, address)
    bridged = gateway.bridged(task_id)
    if bridged.status == BridgedStatus.NONE:
        return
    relayed = "relayed" if bridged.status == BridgedStatus.RELAYED else "not relayed yet"
    click.echo(f"  origin       chain (Hyperlane domain) {bridged.origin}, escrow {bridged.escrow_id}, paid by "
               f"{bridged.payer}; settlement {relayed}")
    for node, amount in gateway.routed_payouts(task_id):
        click.echo(f"  payout       {fmt_amount(amount, token)} to {node}, credited on the origin chain")


@task_group.command("status")
@click.argument("task_id", type=int)
@click.pass_context
def status_cmd(ctx: click.Context, task_id: int) -> None:
    """Show a task's state, nodes and results."""
    from nnc.chain.market import Market

    client = client_of(ctx, need_account=False)
    market = Market(client)
    task = market.task(task_id)
    click.echo(f"task {task_id}: {task.status.name.lower()}")
    click.echo(f"  requester    {task.requester}")
    _show_origin(ctx, client, task_id, task.token)
    click.echo(f"  budget       {fmt_amount(task.budget, task.token)}")
    click.echo(f"  replication  {task.replication} (active {task.active}, submitted {task.submissions})")
    now = client.block_timestamp()
    if task.tied:
        click.echo(f"  tied         no strict majority: challenges until {chain_time(task.challenge_ends_at, now)}, "
                   f"then every active replica is paid")
    elif task.challenge_ends_at:
        click.echo(f"  challenges   until {chain_time(task.challenge_ends_at, now)}")
    scorer = ("unscored: neutral", "scored by the requester", "scored by an oracle", "set by arbitration")
    verdict = ", rejected: compute paid only" if task.rejected else ""
    click.echo(f"  compute      {task.compute_units} units, quality {task.quality_score / 100:g}% "
               f"({scorer[task.scored_by] if task.scored_by < len(scorer) else task.scored_by}{verdict})")
    click.echo(f"  collateral   {task.collateral / NNT:g} NNT per node")
    click.echo(f"  deadlines    apply {chain_time(task.apply_deadline, now)}, results {chain_time(task.deadline, now)}")
    for node in market.assignees(task_id):
        digest = market.result_of(task_id, node)
        snapshot = market.latest_snapshot(task_id, node)
        shown = "0x" + digest.hex() if any(digest) else f"(training: snapshot at step {snapshot.step})"
        seat = market.participation(task_id, node)
        state = "dropped out" if seat.dropped else f"collateral {seat.bond.name.lower()}"
        click.echo(f"  node {node}  {shown}  ({state}{', revealed' if seat.revealed else ''})")
    if any(task.result_digest):
        click.echo(f"  result       0x{task.result_digest.hex()}")
    echo_book_of(client, task_id)  # a data-parallel task's round timeline


@task_group.command("result")
@click.argument("task_id", type=int)
@click.argument("dest", type=click.Path(path_type=Path))
@click.option("--key", "key_file", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="the X25519 key (the spec's privacy.requester_key) that opens a private task's outputs")
@click.pass_context
def result_cmd(ctx: click.Context, task_id: int, dest: Path, key_file: Path | None) -> None:
    """Download inference task TASK_ID's outputs to DEST (an .npz of shard-NNNNN arrays, or a
    directory to put outputs-ID.npz in), after checking them against the committed digest."""
    from nnc.chain.market import Market
    from nnc.inference.delivery import fetch_outputs

    target = dest / f"outputs-{task_id}.npz" if dest.is_dir() else dest
    fetch_outputs(Market(client_of(ctx, need_account=False)), store_of(ctx), task_id, target, key_file)
    click.echo(f"task {task_id}: outputs checked against the committed digest, saved to {target}")


@task_group.command("cancel")
@click.argument("task_id", type=int)
@click.pass_context
def cancel_cmd(ctx: click.Context, task_id: int) -> None:
    """Cancel your task before it is assigned; the budget becomes claimable."""
    from nnc.chain.market import Market

    Market(client_of(ctx)).cancel(task_id)
    click.echo(f"task {task_id} cancelled: claim the refund with `nnc claim`")


def _node_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from nnc.training.digest import normalize_node

    try:
        return normalize_node(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def signing_address(ctx: click.Context) -> str | None:
    """The address of the configured signing key (None: no key), without connecting to a chain."""
    from eth_account import Account

    key = settings_of(ctx).private_key_hex()
    return None if key is None else str(Account.from_key(key).address)


@task_group.command("train")
@click.argument("spec_file", type=click.Path(path_type=Path))
@click.option("--workdir", type=click.Path(path_type=Path), required=True,
              help="checkpoints and model.pt go here; an interrupted run resumes from it")
@click.option("--node", "node", callback=_node_option, metavar="ADDRESS",
              help="train as this node (its chain's genesis), to reproduce another node's chain; "
                   "default: the signing key's address")
@click.pass_context
def train_cmd(ctx: click.Context, spec_file: Path, workdir: Path, node: str | None) -> None:
    """Train SPEC_FILE here exactly as a node does (checkpoints, hash chain, digest): to reproduce
    a node's result, or to train a task offline before `nnc task submit`.

    The hash chain starts from the node's own genesis (SHA-256 of the spec digest and the node's
    address): the signing key's node, or --node. The result digest is the same for every node."""
    from nnc.runtimes.dispatch import train  # imports torch
    from nnc.sandbox import SandboxLimits
    from nnc.training.data import fetch_dataset
    from nnc.training.digest import normalize_node
    from nnc.worker.sandboxed_training import run_training

    spec = load_spec(spec_file)
    node = node or normalize_node(signing_address(ctx))
    if node is None:
        raise click.ClickException("no node to train as: configure a signing key (NNC_PRIVATE_KEY, keystore or "
                                   "key_file) or pass --node ADDRESS (each node's hash chain starts from its "
                                   "own address)")
    dataset_file = fetch_dataset(spec, store_of(ctx), workdir)
    files = _task_files(ctx, spec, workdir / "cache")
    with steps_bar(ctx, f"training {spec.name}", spec.schedule.steps) as on_progress:
        if spec.program is not None:  # a requester's program trains only in the sandbox
            result = run_training(spec, workdir, SandboxLimits(), node=node, dataset_file=dataset_file,
                                  files=files, on_progress=on_progress)
        else:
            result = train(spec, workdir, node=node, dataset_file=dataset_file, files=files, on_progress=on_progress)
    click.echo(f"{spec_file}: {result.steps} steps ({result.steps - result.resumed_from} here) "
               f"in {result.seconds:.1f} s")
    click.echo(f"  result digest  0x{result.result_digest.hex()}")
    click.echo(f"  chain head     0x{result.chain_head.hex()} (node {node})")
    click.echo(f"  {spec.goal.metric:<14} {result.metric:.4f} "
               f"({'accepted' if result.accepted else 'rejected'}, threshold {spec.goal.threshold})")
    click.echo(f"  model          {result.model_path}")


@task_group.command("submit")
@click.argument("task_id", type=int)
@click.option("--workdir", type=click.Path(path_type=Path, exists=True, file_okay=False), required=True,
              help="where `nnc task train` trained the task's spec")
@click.pass_context
def submit_cmd(ctx: click.Context, task_id: int, workdir: Path) -> None:
    """Store the model trained in WORKDIR and submit its digest for TASK_ID (with a zero-knowledge
    proof of the commitment when the market asks for one). For a node that trained by hand."""
    import torch  # the model file is read to digest it

    from nnc.chain.market import Market
    from nnc.errors import TrainingError
    from nnc.task.publish import published_spec
    from nnc.training import list_checkpoints, load_checkpoint, model_digest
    from nnc.training.checkpoints import verify_state

    market, store = Market(client_of(ctx)), store_of(ctx)
    _, spec = published_spec(market, store, task_id)
    model_path = workdir / "model.pt"
    if not model_path.is_file():
        raise click.ClickException(f"{model_path} not found: train first with "
                                   f"`nnc task train SPEC --workdir {workdir}`")
    checkpoints = list_checkpoints(workdir)
    if checkpoints:  # the chain a spot-check replays must be this node's own
        last = checkpoints[-1][1]
        try:
            verify_state(load_checkpoint(last), last, spec_digest(spec), spec.determinism.digest_decimals,
                         node=market.client.address)
        except TrainingError as exc:
            raise click.ClickException(f"{exc}\n(submitting as {market.client.address}: train the task as this "
                                       f"node, `nnc task train SPEC --workdir DIR` without --node)") from None
    digest = model_digest(torch.load(model_path, map_location="cpu", weights_only=True),
                          spec.determinism.digest_decimals)
    with bytes_bar(ctx, f"uploading {model_path.name}", model_path.stat().st_size) as on_bytes:
        uri = store.put_file(model_path, on_bytes)
    with stages_bar(ctx, "submitting", ["proving", "sending", "revealing"]) as on_stage:
        market.submit_result(task_id, digest, uri, on_stage=on_stage)
    click.echo(f"task {task_id}: submitted 0x{digest.hex()} ({uri})")
    if market.participation(task_id, market.client.address).revealed:
        click.echo("  model URI revealed (every result is in)")
    else:
        click.echo(f"  the model URI is revealed once every replica committed: run `nnc task reveal {task_id} "
                   f"{uri}` then (a winner that never reveals is not paid)")


@task_group.command("reveal")
@click.argument("task_id", type=int)
@click.argument("uri")
@click.pass_context
def reveal_cmd(ctx: click.Context, task_id: int, uri: str) -> None:
    """Publish where your model for TASK_ID lives (URI), once every replica has committed its result."""
    from nnc.chain.market import Market

    market = Market(client_of(ctx))
    if market.participation(task_id, market.client.address).revealed:
        click.echo(f"task {task_id}: already revealed")
        return
    if market.reveal_if_due(task_id, uri) is None:
        raise click.ClickException(f"task {task_id}: not revealable now (other replicas still working, "
                                   f"or your result is not in): status {market.task(task_id).status.name.lower()}")
    click.echo(f"task {task_id}: revealed {uri}")


@task_group.command("score")
@click.argument("task_id", type=int)
@click.argument("score", type=click.IntRange(0, 10_000))
@click.option("--accepted/--rejected", default=True, show_default=True,
              help="whether the model meets the spec's acceptance threshold")
@click.pass_context
def score_cmd(ctx: click.Context, task_id: int, score: int, accepted: bool) -> None:
    """Report the quality SCORE (0..10000) of your submitted private task, whose model only you can
    decrypt, in its challenge window (an oracle's report overrides yours; anyone may challenge it)."""
    from nnc.chain.market import Market

    market = Market(client_of(ctx))
    market.report_quality(task_id, score, accepted)
    click.echo(f"task {task_id}: quality {score / 100:g}% reported ({'accepted' if accepted else 'rejected'})")
    if not accepted and not market.rejection_stands(task_id):
        click.echo(f"task {task_id}: its hidden evaluation labels are committed in the acceptance book and \"not met\" "
                   "is not proven for it (or \"met\" is): the rejection is void at settlement, the score counts",
                   err=True)


@task_group.command("release")
@click.argument("task_id", type=int)
@click.argument("node")
@click.pass_context
def release_cmd(ctx: click.Context, task_id: int, node: str) -> None:
    """Release NODE's frozen collateral for TASK_ID once the task's freeze window has closed (anyone may)."""
    from nnc.chain.market import Market

    Market(client_of(ctx)).release_frozen(task_id, node)
    click.echo(f"task {task_id}: collateral of {node} released")
