"""A parallel task's plan and what every way of training a node's round shares.

`DilocoPlan` (k nodes, H inner steps, R rounds, W processes a node, the outer optimizer) and the
seeds it fixes (`round_seed`); a round's result (`InnerRound`); and the two ends of a round that
the in-process loop (`nnc.distributed.rounds.inner_round`) and the DDP ranks
(`nnc.distributed.node_ddp`) both use: the seeded model holding the round's start weights
(`start_model`) and the delta of its end weights (`round_delta`).
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass

import torch
from torch import nn

from nnc.distributed.inner_state import InnerState
from nnc.errors import TrainingError
from nnc.task import TaskSpec
from nnc.task.parallel_spec import OuterSpec
from nnc.training.program import Program


@dataclass(frozen=True)
class DilocoPlan:
    """The rounds of a parallel task: `nodes` (k), `inner_steps` (H), `rounds` (R), the outer optimizer.

    `plan_of(spec)` reads it from the spec's `parallel` section; built by hand it may have one node
    (a spec allows 2 to 64), which is how a single node's rounds are compared with plain training.
    """

    nodes: int
    inner_steps: int
    rounds: int
    outer: OuterSpec
    processes: int = 1
    """W: the processes each node trains its round with (`nnc.distributed.node_ddp`; 1: in process)."""

    def __post_init__(self) -> None:
        if self.nodes < 1 or self.inner_steps < 1 or self.rounds < 1 or self.processes < 1:
            raise TrainingError(f"a plan needs at least one node, inner step, round and process, not {self}")


def plan_of(spec: TaskSpec) -> DilocoPlan:
    """The plan of the spec's `parallel` section; `TrainingError` for a spec without one."""
    if spec.parallel is None:
        raise TrainingError(f"{spec.name!r} has no `parallel` section: it is trained by one node, not in rounds")
    parallel = spec.parallel
    return DilocoPlan(parallel.nodes, parallel.inner_steps, parallel.rounds, parallel.outer, parallel.processes)


def round_seed(seed: int, node: int, round_index: int) -> int:
    """The global RNG's seed for (node, round): the first 8 bytes of SHA-256(b"nnc-diloco" ‖ seed ‖
    node ‖ round, each u64 BE), shifted right by one bit (a non-negative int64)."""
    material = hashlib.sha256(b"nnc-diloco" + struct.pack(">QQQ", seed, node, round_index)).digest()
    return int.from_bytes(material[:8], "big") >> 1


@dataclass(frozen=True)
class InnerRound:
    """A node's round: its `delta` (start − end, name → tensor), its end inner `state`
    (`InnerState`, to commit with the delta and start its next round from), the raw loss of its
    last inner step, how many steps it trained (`resumed_from`: the steps a mid-round checkpoint
    had done already, 0 if none), and seconds: `train_seconds` in the inner loop alone (this
    call's part), `seconds` in the whole call (building the model and loading the start weights too)."""

    delta: dict[str, torch.Tensor]
    state: InnerState
    final_loss: float
    steps: int
    train_seconds: float
    seconds: float
    resumed_from: int = 0


def start_model(spec: TaskSpec, program: Program, start_weights: Mapping[str, torch.Tensor],
                 round_index: int) -> nn.Module:
    """The model as plain training builds it (seeded), holding the round's start weights."""
    torch.manual_seed(spec.schedule.seed)
    model = program.build()
    try:
        program.load_weights(model, start_weights)
    except (RuntimeError, ValueError, KeyError) as exc:
        raise TrainingError(f"the start weights of round {round_index} do not fit the spec's model: {exc}") from exc
    return model


def round_delta(start_weights: Mapping[str, torch.Tensor], end: Mapping[str, torch.Tensor],
           round_index: int) -> dict[str, torch.Tensor]:
    delta = {}
    for name, tensor in end.items():
        if name not in start_weights:
            raise TrainingError(f"the model has weight {name!r}, which round {round_index}'s start weights lack")
        if not tensor.is_floating_point():
            raise TrainingError(f"parallel training averages floating weights; {name!r} is {tensor.dtype}")
        delta[name] = start_weights[name].detach().to(tensor.dtype) - tensor.detach()
    return delta
