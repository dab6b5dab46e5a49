"""The round timeline of a data-parallel task for the API: its round book read from the chain
(`nnc.chain.rounds`), per round and per member, as `nnc task rounds` prints it."""

from __future__ import annotations

from typing import Literal

from nnc.api.context import ApiContext
from nnc.api.errors import NotFoundError
from nnc.api.responses import RoundCell, RoundCheck, RoundEntry, RoundMember, RoundTimeline
from nnc.api.tasks import require_task
from nnc.chain.dispute import CheckStatus, CheckView, SpotCheck
from nnc.chain.rounds import RoundBook, RoundStatus, Timeline


def task_rounds(ctx: ApiContext, task_id: int) -> RoundTimeline:
    """Task `task_id`'s round book and timeline; NotFoundError when the task is unknown or has no book."""
    with ctx.index() as index:
        require_task(index, task_id)
    if not ctx.has("RoundBook"):
        raise NotFoundError(f"task {task_id} has no round book: this deployment has no RoundBook")
    timeline = RoundBook(ctx.client).find_timeline(task_id)
    if timeline is None:
        raise NotFoundError(f"task {task_id} has no round book (its requester did not declare it data-parallel)")
    check = SpotCheck(ctx.client).check(task_id) if ctx.has("SpotCheck") else None
    return present_timeline(timeline, check)


def present_timeline(timeline: Timeline, check: CheckView | None = None) -> RoundTimeline:
    """The API's body of `timeline`, with the task's spot-check `check` (None or status None: no check)."""
    spot_check = _present_check(check) if check is not None and check.status != CheckStatus.NONE else None
    book = timeline.book
    members: list[RoundMember] = [
        {"node": row.node, "seat": row.participant.seat, "replaced": row.participant.replaced,
         "joined_round": row.participant.joined_round, "missed": row.participant.missed,
         "contributed": row.participant.contributed, "share_bps": row.share_bps}
        for row in timeline.rows]
    return {
        "task_id": book.task_id, "status": book.status.name.lower(), "nodes": book.nodes, "rounds": book.rounds,
        "round_duration": book.round_duration, "current_round": book.current, "closed_rounds": book.closed,
        "refuted_round": book.refuted_round, "vacant_seats": book.vacant, "max_missed_rounds": book.max_missed_rounds,
        "total_contributed": book.total_contributed, "started_at": book.started_at, "members": members,
        "timeline": [_round_entry(timeline, r, spot_check) for r in range(1, book.rounds + 1)],
        "spot_check": spot_check,
    }


def _present_check(check: CheckView) -> RoundCheck:
    drawn = check.by_rounds and check.round != 0
    return {"status": check.status.name.lower(), "node": check.trainer if drawn else None,
            "round": check.round if drawn else 0, "verifier": check.verifier if check.has_verifier else None,
            "dispute_id": check.dispute_id}


def _round_entry(timeline: Timeline, round_: int, check: RoundCheck | None) -> RoundEntry:
    view = timeline.rounds[round_ - 1]
    started = any(view.start_digest)
    cells: list[RoundCell] = []
    for row in timeline.rows:
        cell = row.cells[round_ - 1]
        committed = any(cell.delta_digest)
        cells.append({
            "node": row.node, "status": timeline.status_of(row, round_).value,
            "commitment": {"delta_digest": _hex(cell.delta_digest), "start_digest": _hex(cell.start_digest),
                           "uri": row.delta_uris[round_ - 1], "committed_at": cell.committed_at}
            if committed else None,
            "start_disagrees": committed and started and cell.start_digest != view.start_digest,
            "check": _cell_check(check, row.node, round_)})
    return {"round": round_, "status": view.status.name.lower(),
            "deadline": view.deadline if view.status != RoundStatus.PENDING else 0, "closed_at": view.closed_at,
            "commits": view.commits, "flagged": view.disputed,
            "start_digest": _hex(view.start_digest) if started else None, "cells": cells}


def _cell_check(check: RoundCheck | None, node: str, round_: int) -> Literal["verifying", "passed", "failed"] | None:
    """The check's verdict on (node, round) when it drew that pair."""
    if check is None or check["round"] != round_ or (check["node"] or "").lower() != node.lower():
        return None
    status = check["status"]
    if status == "verifying":
        return "verifying"
    if status in ("passed", "failed"):
        return "passed" if status == "passed" else "failed"
    return None


def _hex(digest: bytes) -> str:
    return "0x" + digest.hex()


__all__ = ["present_timeline", "task_rounds"]
