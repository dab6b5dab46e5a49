"""The worker's task records move only along the transition table; as the follower's cursor the
state notes the tasks each range touched, remembers heads and rewinds."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from nnc.chain.events import ChainEvent
from nnc.errors import NNCError, PhaseTransitionError
from nnc.worker.state import FINAL_PHASES, INITIAL_PHASES, TRANSITIONS, Phase, WorkerState

EXPECTED = {
    (Phase.APPLIED, Phase.ASSIGNED), (Phase.APPLIED, Phase.DONE), (Phase.APPLIED, Phase.FAILED),
    (Phase.ASSIGNED, Phase.SUBMITTED), (Phase.ASSIGNED, Phase.DONE), (Phase.ASSIGNED, Phase.FAILED),
    (Phase.SUBMITTED, Phase.DONE), (Phase.SUBMITTED, Phase.FAILED),
}


def state_in(tmp_path: Path, phase: Phase) -> WorkerState:
    state = WorkerState(path=tmp_path / "state.json")
    state.rederive(1, phase, spec_uri="local://spec")
    return state


def test_the_table_is_the_walk_the_worker_makes() -> None:
    assert {(a, b) for a, nexts in TRANSITIONS.items() for b in nexts} == EXPECTED
    assert set(TRANSITIONS) == set(Phase)
    assert all(not TRANSITIONS[final] for final in FINAL_PHASES)  # a final phase is never left


@pytest.mark.parametrize(("frm", "to"), list(itertools.product(Phase, Phase)))
def test_set_allows_exactly_the_table_and_staying(tmp_path: Path, frm: Phase, to: Phase) -> None:
    state = state_in(tmp_path, frm)
    if to == frm or (frm, to) in EXPECTED:
        record = state.set(1, to, "why", result_uri="local://model")
        assert record.phase == to and record.reason == "why" and record.result_uri == "local://model"
        assert WorkerState.load(state.path, 0).tasks[1].phase == to  # saved
    else:
        with pytest.raises(PhaseTransitionError) as raised:
            state.set(1, to, "why")
        assert isinstance(raised.value, NNCError)
        assert f"from phase {frm.value} to {to.value}" in str(raised.value)
        assert state.tasks[1].phase == frm and state.tasks[1].reason == ""  # unchanged
        assert WorkerState.load(state.path, 0).tasks[1].phase == frm


@pytest.mark.parametrize("to", list(Phase))
def test_a_new_record_starts_applied_or_skipped(tmp_path: Path, to: Phase) -> None:
    state = WorkerState(path=tmp_path / "state.json")
    if to in INITIAL_PHASES:
        assert state.set(7, to).phase == to
    else:
        with pytest.raises(PhaseTransitionError, match=f"from phase \\(none\\) to {to.value}"):
            state.set(7, to)
        assert 7 not in state.tasks


def test_rederiving_after_a_reorganisation_may_leave_a_final_phase(tmp_path: Path) -> None:
    state = state_in(tmp_path, Phase.FAILED)
    assert state.rederive(1, Phase.ASSIGNED, spec_uri="local://spec").phase == Phase.ASSIGNED


def event(contract: str, block: int, task_id: int | None) -> ChainEvent:
    args = {} if task_id is None else {"taskId": task_id}
    return ChainEvent(contract, "Any", args, block, 0, "0x00", "0x00")


def test_as_a_cursor_it_notes_touched_tasks_remembers_heads_and_rewinds(tmp_path: Path) -> None:
    state = WorkerState(path=tmp_path / "state.json", last_block=10, block_hashes={10: "0x10"})
    taken = state.ingest(iter([event("TaskMarket", 11, 1), event("SpotCheck", 12, 2), event("TaskMarket", 12, None)]),
                         20, "0x20")
    assert taken == 3 and state.last_block == 20
    assert state.touched == {1: 11}  # market events of a task only
    state.ingest(iter([event("TaskMarket", 25, 3)]), 30, "0x30")
    assert state.heads() == {10: "0x10", 20: "0x20", 30: "0x30"}

    state.rewind(20)
    loaded = WorkerState.load(state.path, 0)
    assert (loaded.last_block, loaded.heads(), loaded.touched) == (20, {10: "0x10", 20: "0x20"}, {1: 11, 3: 25})
