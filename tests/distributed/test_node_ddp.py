"""DDP inside one node (`nnc.distributed.node_ddp`): a node's inner round trained by W processes,
bitwise reproducible at a fixed W, close to W = 1, and a rank that fails or dies named without
leaving a process behind. Each group of 2 ranks spends a few seconds starting (spawn and
imports); the rounds themselves take milliseconds (the digits MLP of `test_diloco`)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

import nnc.distributed.rounds as rounds
from nnc.distributed import (
    DilocoPlan,
    InnerRound,
    RoundCheckpoint,
    initial_weights,
    inner_round,
    plan_of,
    replay_round,
    round_commitment,
    shard_indices,
    tensor_digest,
)
from nnc.distributed.ddp_rank import backend_for, rank_slice
from nnc.distributed.node_ddp import RankGroup, RankGroups
from nnc.errors import TaskSpecError, TrainingError
from nnc.runtimes.classifier import ClassifierProgram
from nnc.task import TaskSpec, canonical_json, parse_spec
from nnc.training.data import SplitData
from nnc.training.program import Program, TrainData

from .test_diloco import document

NODE, ROUND = 1, 1


@pytest.fixture(scope="module")
def spec() -> TaskSpec:
    return parse_spec(document(processes=2))


@pytest.fixture(scope="module")
def shard(spec: TaskSpec, data: SplitData) -> list[int]:
    return shard_indices(data.n_train, plan_of(spec).nodes, spec.schedule.seed)[NODE]


@pytest.fixture(scope="module")
def start(spec: TaskSpec, program: Program) -> dict[str, torch.Tensor]:
    return initial_weights(spec, program)


@pytest.fixture(scope="module")
def spawned(spec: TaskSpec, program: Program, data: SplitData, shard: list[int],
            start: dict[str, torch.Tensor]) -> InnerRound:
    """(node 1, round 1) at the spec's W = 2 through `inner_round`: a group spawned for the round."""
    return inner_round(spec, program, start, shard, NODE, ROUND, data=data)


_BEFORE: set[str] = set()


@pytest.fixture(scope="module", autouse=True)
def _children_before() -> None:
    """The children this process had before the module's first test: the pids `children` ignores."""
    _BEFORE.update(child.split(":", 1)[0] for child in _children())


def children() -> list[str]:
    """The command lines of this process's children, running or zombie (Linux's /proc), that were
    not there when this module's tests began (a session's devnet, started by earlier tests, stays),
    but for multiprocessing's resource tracker (one per process, started by the first spawn)."""
    return [child for child in _children() if child.split(":", 1)[0] not in _BEFORE]


def _children() -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid() and "resource_tracker" not in command:
                found.append(f"{entry.name}: {command or stat}")
    return found


# --- the spec ---------------------------------------------------------------------------------

def test_processes_default_to_one_and_are_part_of_the_spec(spec: TaskSpec) -> None:
    plain = parse_spec(document())
    assert plain.parallel is not None and plain.parallel.processes == 1 and plan_of(plain).processes == 1
    assert b'"processes":1' in canonical_json(plain)
    assert spec.parallel is not None and plan_of(spec).processes == 2
    assert canonical_json(spec) != canonical_json(plain)


@pytest.mark.parametrize(("change", "message"), [
    ({"processes": 0}, "parallel.processes: Input should be greater than or equal to 1"),
    ({"processes": 65}, "parallel.processes: Input should be less than or equal to 64"),
    ({"processes": 3}, "training.batch_size (16) must split evenly over parallel.processes (3)"),
])
def test_bad_process_counts_are_named(change: dict[str, Any], message: str) -> None:
    with pytest.raises(TaskSpecError) as caught:
        parse_spec(document(**change), source="spec.json")
    assert message in str(caught.value)


def test_batches_split_into_fixed_rank_slices() -> None:
    batch = torch.arange(8)
    assert [rank_slice(batch, rank, 4).tolist() for rank in range(4)] == [[0, 1], [2, 3], [4, 5], [6, 7]]
    assert torch.equal(torch.cat([rank_slice(batch, rank, 2) for rank in range(2)]), batch)
    with pytest.raises(TrainingError, match="a batch of 8 samples does not split evenly over 3 processes"):
        rank_slice(batch, 0, 3)
    assert backend_for(torch.device("cpu")) == "gloo" and backend_for(torch.device("cuda", 1)) == "nccl"


# --- determinism --------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class GroupRounds:
    """A second group, kept open for three rounds: round 0 fresh, round 1 fresh from the same start
    weights as `spawned`, round 1 again from round 0's end state (the state carried)."""

    first: InnerRound
    again: InnerRound
    carried: InnerRound
    start_seconds: float
    stop_seconds: float


@pytest.fixture(scope="module")
def group_rounds(spec: TaskSpec, program: Program, data: SplitData, shard: list[int],
                 start: dict[str, torch.Tensor]) -> GroupRounds:
    with RankGroup(spec, program, data, shard, NODE, plan=plan_of(spec), processes=2) as group:
        first = group.round(start, 0)
        again = group.round(start, ROUND)
        carried = group.round(start, ROUND, previous_state=first.state)
    return GroupRounds(first, again, carried, group.timing.start_seconds, group.timing.stop_seconds)


def test_two_groups_at_the_same_world_size_give_the_same_delta_and_state_bitwise(
        spec: TaskSpec, spawned: InnerRound, group_rounds: GroupRounds) -> None:
    """Nothing of round 0 stays behind in a rank: the kept group's round 1 equals the spawned one's."""
    again = group_rounds.again
    assert group_rounds.start_seconds > 0 and group_rounds.stop_seconds > 0
    assert tensor_digest(again.delta) == tensor_digest(spawned.delta)
    assert tensor_digest(again.state) == tensor_digest(spawned.state) and spawned.state
    assert again.final_loss == spawned.final_loss and again.steps == spawned.steps == plan_of(spec).inner_steps
    assert tensor_digest(group_rounds.first.delta) != tensor_digest(spawned.delta)  # other batches
    assert tensor_digest(group_rounds.carried.delta) != tensor_digest(spawned.delta)  # another start state
    assert children() == []


def test_kept_groups_start_each_node_once_and_restart_a_failed_one(
        spec: TaskSpec, program: Program, data: SplitData, shard: list[int], start: dict[str, torch.Tensor],
        spawned: InnerRound) -> None:
    """`inner_round(groups=…)`: a node's rounds share one group, which equals a fresh one bitwise;
    a round that fails (here: outlives its timeout) closes the group, and the next round starts
    another."""
    with RankGroups() as groups:
        inner_round(spec, program, start, shard, NODE, 0, data=data, groups=groups)
        group = groups.group(spec, program, data, shard, NODE, plan_of(spec))
        again = inner_round(spec, program, start, shard, NODE, ROUND, data=data, groups=groups)
        assert groups.group(spec, program, data, shard, NODE, plan_of(spec)) is group and group.running
        assert tensor_digest(again.delta) == tensor_digest(spawned.delta)
        with pytest.raises(TrainingError, match="node 1's DDP rank 0 of 2 sent nothing within 0s"):
            group.round(start, ROUND, timeout_s=0)
        assert not group.running
        with pytest.raises(TrainingError, match="the rank group is not running"):
            group.round(start, ROUND)
        after = inner_round(spec, program, start, shard, NODE, ROUND, data=data, groups=groups)
        assert groups.group(spec, program, data, shard, NODE, plan_of(spec)) is not group
        assert tensor_digest(after.delta) == tensor_digest(spawned.delta)
    assert children() == []


def close(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert sorted(a) == sorted(b)
    for name, tensor in a.items():
        assert torch.allclose(b[name], tensor, rtol=1e-4, atol=1e-6), name


def test_two_processes_agree_with_one_to_rounding(spec: TaskSpec, program: Program, data: SplitData,
                                                  shard: list[int], start: dict[str, torch.Tensor],
                                                  spawned: InnerRound, group_rounds: GroupRounds) -> None:
    """W = 1 (in process) on the same batches, state carried from round 0 to round 1 as the group
    carried it: the same rounds up to the order of float additions."""
    plan = dataclasses.replace(plan_of(spec), processes=1)
    first = inner_round(spec, program, start, shard, NODE, 0, data=data, plan=plan)
    alone = inner_round(spec, program, start, shard, NODE, ROUND, data=data, plan=plan)
    carried = inner_round(spec, program, start, shard, NODE, ROUND, data=data, plan=plan, previous_state=first.state)
    for one, two in ((first, group_rounds.first), (alone, spawned), (carried, group_rounds.carried)):
        close(one.delta, two.delta)
        close(one.state, two.state)
        assert two.final_loss == pytest.approx(one.final_loss, rel=1e-4)
        assert tensor_digest(one.delta) != tensor_digest(two.delta)  # not bitwise: another order of additions
    assert any(float(tensor.abs().max()) > 1e-3 for tensor in alone.delta.values())  # it did train


def test_one_process_trains_in_the_callers_process(spec: TaskSpec, program: Program, data: SplitData,
                                                   shard: list[int], start: dict[str, torch.Tensor],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def no_spawn(*args: object, **kwargs: object) -> InnerRound:
        raise AssertionError("W = 1 must not start processes")

    monkeypatch.setattr(rounds, "ddp_inner_round", no_spawn)
    plan = DilocoPlan(3, 2, 3, plan_of(spec).outer)
    assert inner_round(spec, program, start, shard, NODE, ROUND, data=data, plan=plan).steps == 2
    with pytest.raises(AssertionError, match="must not start processes"):
        inner_round(spec, program, start, shard, NODE, ROUND, data=data,
                    plan=dataclasses.replace(plan, processes=2))


def test_a_verifier_replays_a_round_at_the_specs_world_size(spec: TaskSpec, program: Program, data: SplitData,
                                                             shard: list[int], start: dict[str, torch.Tensor],
                                                             spawned: InnerRound) -> None:
    """`replay_round` trains at the spec's W, so an honest W = 2 round replays bitwise; the same
    round replayed at W = 1 does not (which is why W is part of the spec)."""
    committed = round_commitment(tensor_digest(spawned.delta), tensor_digest(spawned.state))
    verdict = replay_round(spec, program, start, shard, NODE, ROUND, None, committed, data=data)
    assert verdict.matches, verdict.reason
    alone = replay_round(spec, program, start, shard, NODE, ROUND, None, committed, data=data,
                         plan=dataclasses.replace(plan_of(spec), processes=1))
    assert not alone.matches and "does not replay" in alone.reason


# --- failures -----------------------------------------------------------------------------------

class RankOneFails(ClassifierProgram):
    """The digits classifier whose rank 1 raises at its second step (module-level: ranks are spawned)."""

    def loss(self, module: nn.Module, data: TrainData, batch: torch.Tensor, step: int) -> torch.Tensor:
        import torch.distributed as dist

        if dist.get_rank() == 1 and step % 4 == 2:
            raise RuntimeError(f"rank 1 cannot take step {step}")
        return super().loss(module, data, batch, step)


class RankOneDies(ClassifierProgram):
    """The digits classifier whose rank 1's process exits with code 3 at its first step."""

    def loss(self, module: nn.Module, data: TrainData, batch: torch.Tensor, step: int) -> torch.Tensor:
        import torch.distributed as dist

        if dist.get_rank() == 1:
            os._exit(3)
        return super().loss(module, data, batch, step)


@pytest.mark.parametrize(("kind", "message"), [
    (RankOneFails, "digits-mlp: node 1's DDP rank 1 of 2 failed: RuntimeError: rank 1 cannot take step 6"),
    (RankOneDies, "digits-mlp: node 1's DDP rank 1 of 2 exited with code 3 without a word"),
])
def test_a_failing_rank_is_named_and_no_process_is_left(spec: TaskSpec, data: SplitData, shard: list[int],
                                                        start: dict[str, torch.Tensor], kind: type[Program],
                                                        message: str) -> None:
    broken = kind(spec)  # type: ignore[call-arg]
    with pytest.raises(TrainingError) as caught:
        inner_round(spec, broken, start, shard, NODE, ROUND, data=data)
    assert message in str(caught.value)
    assert children() == []


class BothRanksStop(ClassifierProgram):
    """The digits classifier whose ranks both raise at their round's 4th inner step, after the
    checkpoint of the 3rd (as a node killed mid-round)."""

    def loss(self, module: nn.Module, data: TrainData, batch: torch.Tensor, step: int) -> torch.Tensor:
        if step % 4 == 0:
            raise RuntimeError(f"stopped at step {step}")
        return super().loss(module, data, batch, step)


def test_a_round_stopped_midway_resumes_from_the_ranks_checkpoints_bitwise(
        spec: TaskSpec, program: Program, data: SplitData, shard: list[int], start: dict[str, torch.Tensor],
        spawned: InnerRound, tmp_path: Path) -> None:
    checkpoint = RoundCheckpoint(tmp_path / "round.pt", every=1)
    with pytest.raises(TrainingError, match="stopped at step 8"):
        inner_round(spec, BothRanksStop(spec), start, shard, NODE, ROUND, data=data, checkpoint=checkpoint)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["round.pt", "round.pt.rank1"]
    resumed = inner_round(spec, program, start, shard, NODE, ROUND, data=data, checkpoint=checkpoint)
    assert resumed.resumed_from == 3
    assert tensor_digest(resumed.delta) == tensor_digest(spawned.delta)
    assert tensor_digest(resumed.state) == tensor_digest(spawned.state)
    assert list(tmp_path.iterdir()) == []  # done: the checkpoints are gone
    with pytest.raises(TrainingError, match="after_step is called in the caller's process"):
        inner_round(spec, program, start, shard, NODE, ROUND, data=data, after_step=lambda h: None)
