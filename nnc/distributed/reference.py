"""The reference run: every node's every round and the outer steps, in order, in one process."""

from __future__ import annotations

import logging
import math
from collections.abc import Collection
from dataclasses import dataclass, field

import torch

from nnc.distributed.commitment import round_commitment
from nnc.distributed.inner_state import InnerState
from nnc.distributed.node_ddp import RankGroups
from nnc.distributed.outer import OuterState, outer_step
from nnc.distributed.plan import DilocoPlan, InnerRound, plan_of
from nnc.distributed.rounds import initial_weights, inner_round
from nnc.distributed.shards import shard_indices
from nnc.distributed.tensors import tensor_digest
from nnc.task import TaskSpec
from nnc.training.program import Program, TrainData
from nnc.training.trainer import deterministic_torch

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoundRecord:
    """One round as a round record on chain would hold it: the digest (`tensor_digest`, hex) of its
    start weights, of each node's delta in node order, and of the next start weights; each node's
    end inner state's digest and the `round_commitment` it commits (hex), in node order (the
    empty string for a node absent from the round)."""

    round_index: int
    start_digest: str
    delta_digests: list[str]
    next_digest: str
    losses: list[float] = field(default_factory=list)
    state_digests: list[str] = field(default_factory=list)
    commitments: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DilocoResult:
    """The final weights (after the last outer step), the outer state, each round's record and
    each node's inner state after its last committed round (None: it committed none)."""

    weights: dict[str, torch.Tensor]
    outer_state: OuterState
    rounds: list[RoundRecord]
    inner_states: list[InnerState | None] = field(default_factory=list)


def reference_run(spec: TaskSpec, program: Program, *, plan: DilocoPlan | None = None,
                  data: TrainData | None = None, absent: Collection[tuple[int, int]] = (),
                  fresh: Collection[tuple[int, int]] = (), groups: RankGroups | None = None) -> DilocoResult:
    """All `k × R` inner rounds (nodes in order within a round) and the `R` outer steps, from the
    seeded initial weights: the result `run_local`, and any set of nodes following the algorithm,
    must equal bitwise. `plan` defaults to `plan_of(spec)`, `data` to `program.load_data(None)`.
    `absent` holds the (node, round) pairs, 0-based, that hand in no delta (stragglers): the outer
    step renormalises over the others, their record's digests are the empty string, and the
    node's inner state stays that of its last round handed in. `fresh` holds the (node, round)
    pairs whose inner state starts fresh (a replacement took the seat at that round). With the
    spec's `parallel.processes` > 1, `groups` keeps each node's DDP ranks open across the rounds
    (else each round starts its own)."""
    plan = plan or plan_of(spec)
    data = data if data is not None else program.load_data(None)
    shards = shard_indices(data.n_train, plan.nodes, spec.schedule.seed)
    weights = initial_weights(spec, program)
    state = OuterState()
    inner: list[InnerState | None] = [None] * plan.nodes
    records = []
    for round_index in range(plan.rounds):
        results: list[InnerRound | None] = []
        for node in range(plan.nodes):
            if (node, round_index) in fresh:
                inner[node] = None
            if (node, round_index) in absent:
                results.append(None)
                continue
            result = inner_round(spec, program, weights, shards[node], node, round_index, previous_state=inner[node],
                                 plan=plan, data=data, groups=groups)
            inner[node] = result.state
            results.append(result)
        with deterministic_torch(spec.determinism.threads):
            next_weights, state = outer_step(weights, [None if r is None else r.delta for r in results], state,
                                             plan.outer)
        deltas = ["" if r is None else tensor_digest(r.delta) for r in results]
        states = ["" if r is None else tensor_digest(r.state) for r in results]
        records.append(RoundRecord(round_index, tensor_digest(weights), deltas, tensor_digest(next_weights),
                                   [math.nan if r is None else r.final_loss for r in results], states,
                                   ["" if not d else round_commitment(d, s).hex() for d, s in zip(deltas, states,
                                                                                                   strict=True)]))
        logger.info("%s: round %d/%d done, losses %s", spec.name, round_index + 1, plan.rounds,
                    ", ".join("-" if r is None else f"{r.final_loss:.4f}" for r in results))
        weights = next_weights
    return DilocoResult(weights, state, records, inner)
