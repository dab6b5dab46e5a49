"""`nnc task rounds ID`: the round timeline of a data-parallel task, per node and per round: its
commitment (delta digest and where the delta lives), and whether the round counted, was refuted
or had nothing from the node."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from nnc.cli.context import client_of

if TYPE_CHECKING:
    from nnc.chain.rounds import CommitmentView, RoundView, Timeline


@click.command("rounds")
@click.argument("task_id", type=int)
@click.pass_context
def rounds_cmd(ctx: click.Context, task_id: int) -> None:
    """Show data-parallel task TASK_ID's rounds: per node, per round, its committed delta."""
    from nnc.chain.rounds import RoundBook

    for line in render_timeline(RoundBook(client_of(ctx, need_account=False)).timeline(task_id)):
        click.echo(line)


def render_timeline(timeline: Timeline) -> list[str]:
    """The lines `nnc task rounds` prints."""
    from nnc.chain.rounds import BookStatus

    book = timeline.book
    where = {BookStatus.RUNNING: f", round {book.current} of {book.rounds}",
             BookStatus.FROZEN: f", refuted in round {book.refuted_round}: verified through round "
                                f"{book.refuted_round - 1}"}.get(book.status, "")
    lines = [f"task {book.task_id}: round book {book.status.name.lower()}{where}",
             f"  nodes {book.nodes} ({book.vacant} seat(s) open), {book.rounds} rounds of at most "
             f"{book.round_duration} s, replaceable after {book.max_missed_rounds} missed, "
             f"{book.total_contributed} contributed round(s)"]
    lines += [_round_line(r) for r in timeline.rounds]
    for row in timeline.rows:
        p = row.participant
        seat = f"seat {p.seat}" if p.seat else "replaced" if p.replaced else "no seat"
        lines.append(f"  node {row.node}  {seat}, from round {p.joined_round}: contributed {p.contributed}, "
                     f"missed {p.missed}, share {row.share_bps} bps")
        for r, (cell, uri) in enumerate(zip(row.cells, row.delta_uris, strict=True), start=1):
            shown = "not seated yet" if r < p.joined_round else _cell(cell, timeline.rounds[r - 1], uri)
            lines.append(f"    round {r:<3} {shown}")
    return lines


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


def _cell(cell: CommitmentView, round_: RoundView, uri: str | None) -> str:
    from nnc.chain.rounds import CommitState, RoundStatus

    if cell.state == CommitState.NONE:
        return "no commitment" if round_.status == RoundStatus.CLOSED else "-"
    text = f"{cell.state.name.lower():<9} delta 0x{cell.delta_digest.hex()}"
    if uri:
        text += f"  {uri}"
    if any(round_.start_digest) and cell.start_digest != round_.start_digest:
        text += f"  (stated start 0x{cell.start_digest.hex()})"
    return text
