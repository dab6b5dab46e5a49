"""`nnc dispute ...` and `nnc verify ...`: challenges, DAO votes, spot-checks by hand."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from nnc.chain.types import ETH
from nnc.cli.context import client_of, fmt_amount, fmt_nnt, settings_of, store_of
from nnc.cli.times import chain_time

if TYPE_CHECKING:
    from nnc.chain.dispute import Arbitration, SpotCheck


def arbitration_of(ctx: click.Context, need_account: bool = True) -> Arbitration:
    """The Arbitration contract, as the command's account (web3 loads only for the commands that use it)."""
    from nnc.chain.dispute import Arbitration

    return Arbitration(client_of(ctx, need_account=need_account))


def nnt_bond(arbitration: Arbitration, text: str) -> int:
    """A bond given in NNT ("10", "2.5") in NNT-wei."""
    from nnc.task.publish import parse_amount

    return parse_amount(arbitration.client, text, str(arbitration.client.token.address))


def spot_check_of(ctx: click.Context) -> SpotCheck:
    """The SpotCheck contract, as the command's account."""
    from nnc.chain.dispute import SpotCheck

    return SpotCheck(client_of(ctx))


@click.group("dispute")
def dispute_group() -> None:
    """Challenge a submitted result, vote on disputes, resolve them."""


@dispute_group.command("challenge")
@click.argument("task_id", type=int)
@click.argument("node")
@click.option("--bond", default="10", show_default=True, help="NNT bonded (at least the minimum bond)")
@click.option("--evidence", default="", help="URI of your evidence")
@click.pass_context
def challenge_cmd(ctx: click.Context, task_id: int, node: str, bond: str, evidence: str) -> None:
    """Challenge NODE's result for TASK_ID (freezes its collateral until the DAO decides)."""
    from web3 import Web3

    arbitration = arbitration_of(ctx)
    amount = nnt_bond(arbitration, bond)
    dispute_id, _ = arbitration.challenge(task_id, Web3.to_checksum_address(node), amount, evidence)
    click.echo(f"dispute {dispute_id} opened against {node} on task {task_id} (bond {fmt_nnt(amount)})")


@dispute_group.command("challenge-quality")
@click.argument("task_id", type=int)
@click.argument("score", type=click.IntRange(0, 10_000))
@click.option("--accepted/--rejected", default=True, show_default=True,
              help="whether the model meets the spec's acceptance threshold, by your evaluation")
@click.option("--bond", default="10", show_default=True, help="NNT bonded (at least the minimum bond)")
@click.option("--evidence", default="", help="URI of your evidence (e.g. your evaluation)")
@click.pass_context
def challenge_quality_cmd(ctx: click.Context, task_id: int, score: int, accepted: bool, bond: str,
                          evidence: str) -> None:
    """Challenge the quality score reported for TASK_ID, claiming it is SCORE (0..10000): upheld by
    the DAO (a "slash" majority), your score is set; released, the report stands and the bond is lost."""
    arbitration = arbitration_of(ctx)
    amount = nnt_bond(arbitration, bond)
    dispute_id, _ = arbitration.challenge_quality(task_id, score, accepted, amount, evidence)
    click.echo(f"dispute {dispute_id} opened on the quality of task {task_id}: claimed {score / 100:g}% "
               f"{'accepted' if accepted else 'rejected'} (bond {fmt_nnt(amount)})")


@dispute_group.command("vote")
@click.argument("dispute_id", type=int)
@click.option("--slash/--release", required=True, help="slash the node, or release it")
@click.pass_context
def vote_cmd(ctx: click.Context, dispute_id: int, slash: bool) -> None:
    """Vote on DISPUTE_ID with the NNT votes you held from before it opened to its snapshot (after the snapshot)."""
    arbitration_of(ctx).vote(dispute_id, slash)
    click.echo(f"voted to {'slash' if slash else 'release'} in dispute {dispute_id}")


@dispute_group.command("resolve")
@click.argument("dispute_id", type=int)
@click.pass_context
def resolve_cmd(ctx: click.Context, dispute_id: int) -> None:
    """Resolve DISPUTE_ID once its voting period is over (anyone)."""
    arbitration = arbitration_of(ctx)
    arbitration.resolve(dispute_id)
    click.echo(f"dispute {dispute_id}: {arbitration.dispute(dispute_id).status.name.lower()}")


@dispute_group.command("show")
@click.argument("dispute_id", type=int)
@click.pass_context
def show_cmd(ctx: click.Context, dispute_id: int) -> None:
    """Print a dispute."""
    d = arbitration_of(ctx, need_account=False).dispute(dispute_id)
    click.echo(f"dispute {dispute_id}: task {d.task_id}, node {d.node}, challenger {d.challenger}, "
               f"bond {fmt_nnt(d.bond)}, {d.status.name.lower()}, votes slash {fmt_nnt(d.slash_votes)} / "
               f"release {fmt_nnt(d.release_votes)}, voting from block {d.snapshot + 1} until block {d.vote_end} "
               f"(votes held at blocks {d.held_since} and {d.snapshot})")


@dispute_group.command("claim")
@click.pass_context
def claim_cmd(ctx: click.Context) -> None:
    """Withdraw the NNT the arbitration owes you."""
    arbitration = arbitration_of(ctx)
    amount = arbitration.claimable(arbitration.client.address)
    arbitration.claim()
    click.echo(f"claimed {fmt_nnt(amount)}")


@click.group("verify")
def verify_group() -> None:
    """Spot-check verification of single-trainer tasks."""


@verify_group.command("enable")
@click.argument("task_id", type=int)
@click.option("--segments", default=4, show_default=True, help="segments the verifier re-executes")
@click.option("--tolerance", default=1e-4, show_default=True, help="largest relative L2 distance")
@click.option("--fee", default="0.01", show_default=True, help="verification fee in ETH")
@click.pass_context
def enable_cmd(ctx: click.Context, task_id: int, segments: int, tolerance: float, fee: str) -> None:
    """Turn on spot-checking for your published TASK_ID and pay the verifier's fee.

    A task that may train on a GPU needs a tolerance of at least the calibrated CPU↔CUDA distance
    (`nnc.task.execution.GPU_MIN_TOLERANCE`): its spec is read and checked before anything is sent."""
    from nnc.chain.market import Market
    from nnc.task.execution import check_spot_check_tolerance
    from nnc.task.publish import parse_amount, published_spec

    spot_check = spot_check_of(ctx)
    _, spec = published_spec(Market(spot_check.client), store_of(ctx), task_id)
    check_spot_check_tolerance(spec, tolerance)
    spot_check.enable(task_id, segments, tolerance, parse_amount(spot_check.client, fee, ETH))
    click.echo(f"task {task_id}: spot-check of {segments} segment(s), tolerance {tolerance:g}")


@verify_group.command("run")
@click.argument("task_id", type=int)
@click.pass_context
def run_cmd(ctx: click.Context, task_id: int) -> None:
    """Run the spot-check of TASK_ID you were picked for, and report (the worker does it itself)."""
    from nnc.verification.verifier import Verifier  # imports torch (re-executes training)

    client = client_of(ctx)
    home = settings_of(ctx).data_dir / "worker" / client.address.lower()
    report = Verifier(client, store_of(ctx), home).verify(task_id)
    click.echo(f"task {task_id}: {'passed' if report.passed else 'FAILED'} ({report.reason})")


@verify_group.command("show")
@click.argument("task_id", type=int)
@click.pass_context
def show_check_cmd(ctx: click.Context, task_id: int) -> None:
    """Show TASK_ID's spot-check: status, pending draw, verifier and deadlines."""
    spot_check = spot_check_of(ctx)
    c = spot_check.check(task_id)
    if c.draw_pending:
        who = f"verifier draw pending on block {c.draw_block}"
    elif c.has_verifier:
        who = f"verifier {c.verifier}, report due {chain_time(c.report_deadline, spot_check.client.block_timestamp())}"
    else:
        who = "no verifier"
    what = f"{c.segments} segment(s)"
    if c.by_rounds:  # a data-parallel task: one (node, round) pair of its round book
        what = f"round {c.round} of node {c.trainer}" if c.round else "one (node, round) pair, not drawn yet"
    click.echo(f"task {task_id}: spot-check {c.status.name.lower()}, {what}, "
               f"tolerance {c.tolerance:g}, fee {fmt_amount(c.fee)}, {who}")
    if c.dispute_id:
        click.echo(f"  failed: dispute {c.dispute_id} opened against {c.trainer}")


@verify_group.command("request")
@click.argument("task_id", type=int)
@click.pass_context
def request_cmd(ctx: click.Context, task_id: int) -> None:
    """Ask for the verification of submitted TASK_ID: commits the verifier draw to a future block
    (the oracle does it itself)."""
    spot_check = spot_check_of(ctx)
    spot_check.request_verification(task_id)
    click.echo(f"task {task_id}: verification requested, verifier drawn from block "
               f"{spot_check.check(task_id).draw_block} (then run `nnc verify draw {task_id}`)")


@verify_group.command("draw")
@click.argument("task_id", type=int)
@click.pass_context
def draw_cmd(ctx: click.Context, task_id: int) -> None:
    """Draw TASK_ID's verifier once its committed block is mined (anyone; the oracle does it)."""
    spot_check = spot_check_of(ctx)
    spot_check.draw_verifier(task_id)
    c = spot_check.check(task_id)
    if c.has_verifier:
        due = chain_time(c.report_deadline, spot_check.client.block_timestamp())
        click.echo(f"task {task_id}: verifier {c.verifier} drawn, report due {due}")
    else:
        click.echo(f"task {task_id}: the committed block was too old, draw committed again to block {c.draw_block}")


@verify_group.command("lapse")
@click.argument("task_id", type=int)
@click.pass_context
def lapse_cmd(ctx: click.Context, task_id: int) -> None:
    """End TASK_ID's spot-check past its verification timeout: the task settles unverified and
    the fee goes back to the requester (anyone)."""
    spot_check_of(ctx).lapse(task_id)
    click.echo(f"task {task_id}: verification lapsed, fee credited back to the requester")


@verify_group.command("refund")
@click.argument("task_id", type=int)
@click.pass_context
def refund_cmd(ctx: click.Context, task_id: int) -> None:
    """Credit the unused spot-check fee of ended TASK_ID back to its requester (anyone)."""
    spot_check = spot_check_of(ctx)
    spot_check.refund_fee(task_id)
    click.echo(f"task {task_id}: spot-check fee of {fmt_amount(spot_check.check(task_id).fee)} "
               "credited back to the requester")


@verify_group.command("claim")
@click.pass_context
def claim_fees_cmd(ctx: click.Context) -> None:
    """Withdraw the ETH SpotCheck owes you (verification fees, or refunded fees)."""
    spot_check = spot_check_of(ctx)
    amount = spot_check.claimable(spot_check.client.address)
    spot_check.claim()
    click.echo(f"claimed {fmt_amount(amount)}")
