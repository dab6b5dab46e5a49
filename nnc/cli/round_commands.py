"""`nnc task rounds ID`: the round timeline of a data-parallel task, per node and per round: its
commitment (the digest binding its delta and inner state, and its round manifest's URI), and
whether the round counted, was refuted or had nothing from the node. `nnc task rerun ID`: a
frozen task re-run from its last verified round (`nnc.distributed.rerun`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from nnc.cli.context import client_of, settings_of, store_of
from nnc.cli.task_options import publish_options, task_terms_options
from nnc.cli.times import duration

if TYPE_CHECKING:
    from nnc.chain.client import ChainClient
    from nnc.chain.dispute import CheckView
    from nnc.chain.rounds import CellStatus, CommitmentView, RoundView, Timeline, TimelineRow

_STATUS_TEXT = {"not_seated": "not seated", "pending": "-", "committed": "committed", "counted": "counted",
                "refuted": "refuted", "missed": "missed: no commitment by the deadline"}
"""How each `CellStatus` (a str enum, by value) reads in the timeline."""


@click.command("rounds")
@click.argument("task_id", type=int)
@click.pass_context
def rounds_cmd(ctx: click.Context, task_id: int) -> None:
    """Show data-parallel task TASK_ID's rounds: per node, per round, its commitment and manifest."""
    from nnc.chain.rounds import RoundBook

    client = client_of(ctx, need_account=False)
    for line in render_timeline(RoundBook(client).timeline(task_id), check=_check_of(client, task_id)):
        click.echo(line)


@click.command("rerun")
@click.argument("task_id", type=int)
@click.option("--budget", required=True, help="the re-run's budget in whole tokens, e.g. 0.5")
@task_terms_options(apply_window=60)
@click.option("--round-duration", type=int, default=None, help="seconds per round (default: as `task publish`)")
@click.pass_context
def rerun_cmd(ctx: click.Context, task_id: int, budget: str, token: str, replication: int, collateral: str,
              apply_window: int, deadline: int, min_class: int, min_reputation: int, strategy: str,
              round_duration: int | None) -> None:
    """Re-run your data-parallel TASK_ID, whose round book a spot-check froze, from its last
    verified round: publishes a new task that starts from that round's weights and trains the
    rounds left."""
    from nnc.chain.market import Market
    from nnc.chain.rounds import RoundBook
    from nnc.distributed.rerun import rerun_spec
    from nnc.errors import TrainingError
    from nnc.library import fetch_task_files
    from nnc.runtimes import rounds_program
    from nnc.task.publish import publish_task, published_spec

    client, store = client_of(ctx), store_of(ctx)
    _, spec = published_spec(Market(client), store, task_id)
    if spec.parallel is None:
        raise click.ClickException(f"task {task_id} is not a data-parallel task: it has no rounds to re-run")
    cache = settings_of(ctx).data_dir / "cache"
    try:
        program = rounds_program(spec, fetch_task_files(spec, client, store, cache))
        rerun = rerun_spec(RoundBook(client), store, task_id, spec, program)
    except TrainingError as exc:
        raise click.ClickException(str(exc)) from None
    options = publish_options(client, budget, token=token, replication=max(replication, spec.parallel.nodes),
                              collateral=collateral, apply_window=apply_window, deadline=deadline,
                              min_class=min_class, min_reputation=min_reputation, strategy=strategy,
                              round_duration=round_duration)
    new_id, spec_uri = publish_task(client, store, rerun.spec, options)
    click.echo(f"published task {new_id} (spec {spec_uri}): task {task_id} re-run from round {rerun.from_round}, "
               f"{rerun.spec.parallel.rounds if rerun.spec.parallel else 0} round(s) left, init weights "
               f"{rerun.weights_uri} (sha256 {rerun.weights_sha256})")


def render_timeline(timeline: Timeline, compact: bool = False, check: CheckView | None = None) -> list[str]:
    """The lines `nnc task rounds` prints; `compact` (what `nnc task status` shows): one line per
    node, its status in each round (with the commitment's first bytes) and its share. `check`:
    the task's spot-check, a line of its own when the requester enabled one."""
    from nnc.chain.rounds import BookStatus

    book = timeline.book
    where = {BookStatus.RUNNING: f", round {book.current} of {book.rounds}",
             BookStatus.FROZEN: f", refuted in round {book.refuted_round}: verified through round "
                                f"{book.refuted_round - 1}"}.get(book.status, "")
    lines = [f"task {book.task_id}: round book {book.status.name.lower()}{where}",
             f"  nodes {book.nodes} ({book.vacant} seat(s) open), {book.rounds} rounds of at most "
             f"{duration(book.round_duration)}, replaceable after {book.max_missed_rounds} missed, "
             f"{book.total_contributed} contributed round(s)"]
    if check is not None:
        lines.append(_check_line(check))
    if compact:
        flagged = [str(r.round) for r in timeline.rounds if r.disputed]
        if flagged:
            lines.append(f"  flagged round(s) {', '.join(flagged)}: start digests disagree or a delta was copied")
        return lines + [_compact_row(timeline, row) for row in timeline.rows]
    lines += [_round_line(r) for r in timeline.rounds]
    for row in timeline.rows:
        p = row.participant
        seat = f"seat {p.seat}" if p.seat else "replaced" if p.replaced else "no seat"
        lines.append(f"  node {row.node}  {seat}, from round {p.joined_round}: contributed {p.contributed}, "
                     f"missed {p.missed}, share {row.share_bps} bps")
        for r, (cell, uri) in enumerate(zip(row.cells, row.delta_uris, strict=True), start=1):
            lines.append(f"    round {r:<3} {_cell(timeline.status_of(row, r), cell, timeline.rounds[r - 1], uri)}")
    return lines


def echo_book_of(client: ChainClient, task_id: int) -> None:
    """Prints task `task_id`'s round timeline, compact, when it has a round book (`nnc task status`)."""
    from nnc.chain.rounds import RoundBook

    if client.deployment is None or "RoundBook" not in client.deployment.addresses:
        return
    timeline = RoundBook(client).find_timeline(task_id)
    if timeline is not None:
        for line in render_timeline(timeline, compact=True, check=_check_of(client, task_id)):
            click.echo(line)


def _check_of(client: ChainClient, task_id: int) -> CheckView | None:
    """The task's spot-check; None when it has none (or the deployment no SpotCheck)."""
    from nnc.chain.dispute import CheckStatus, SpotCheck

    if client.deployment is None or "SpotCheck" not in client.deployment.addresses:
        return None
    check = SpotCheck(client).check(task_id)
    return None if check.status == CheckStatus.NONE else check


def _check_line(check: CheckView) -> str:
    text = f"  spot-check {check.status.name.lower()}"
    if check.round:
        text += f": round {check.round} of node {check.trainer} drawn"
        if check.has_verifier:
            text += f", verifier {check.verifier}"
    else:
        text += ": one (node, round) pair, drawn once every result is in"
    if check.dispute_id:
        text += f"; it did not replay: dispute {check.dispute_id}"
    return text


def _compact_row(timeline: Timeline, row: TimelineRow) -> str:
    cells = []
    for r, cell in enumerate(row.cells, start=1):
        status = timeline.status_of(row, r)
        digest = f" {cell.delta_digest.hex()[:8]}" if any(cell.delta_digest) else ""
        cells.append(f"r{r} {status.value.replace('_', ' ')}{digest}")
    return f"  node {row.node}  {' | '.join(cells)}  share {row.share_bps} bps"


def _round_line(r: RoundView) -> str:
    from nnc.chain.rounds import RoundStatus

    text = f"  round {r.round:<3} {r.status.name.lower():<8}"
    if r.status == RoundStatus.PENDING:
        return text
    text += f" {r.commits} commit(s)"
    if any(r.start_digest):
        text += f", start 0x{r.start_digest.hex()}"
    text += f", closed at {r.closed_at}" if r.status == RoundStatus.CLOSED else f", deadline {r.deadline}"
    if r.disputed:
        text += "  FLAGGED: start digests disagree or a delta was copied (evidence for a dispute)"
    return text


def _cell(status: CellStatus, cell: CommitmentView, round_: RoundView, uri: str | None) -> str:
    if not any(cell.delta_digest):
        return _STATUS_TEXT[status]
    text = f"{_STATUS_TEXT[status]:<9} commitment 0x{cell.delta_digest.hex()}"
    if uri:
        text += f"  {uri}"
    if any(round_.start_digest) and cell.start_digest != round_.start_digest:
        text += f"  (stated start 0x{cell.start_digest.hex()})"
    return text
