"""The reference run: every node's every round and the outer steps, in order, in one process."""

from __future__ import annotations

import logging
import math
from collections.abc import Collection
from dataclasses import dataclass, field

import torch

from nnc.distributed.outer import OuterState, outer_step
from nnc.distributed.rounds import DilocoPlan, initial_weights, inner_round, plan_of
from nnc.distributed.shards import shard_indices
from nnc.distributed.tensors import tensor_digest
from nnc.task import TaskSpec
from nnc.training.program import Program, TrainData
from nnc.training.trainer import deterministic_torch

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoundRecord:
    """One round as a round record on chain would hold it: the digest (`tensor_digest`, hex) of its
    start weights, of each node's delta in node order, and of the next start weights."""

    round_index: int
    start_digest: str
    delta_digests: list[str]
    next_digest: str
    losses: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class DilocoResult:
    """The final weights (after the last outer step), the outer state and each round's record."""

    weights: dict[str, torch.Tensor]
    outer_state: OuterState
    rounds: list[RoundRecord]


def reference_run(spec: TaskSpec, program: Program, *, plan: DilocoPlan | None = None,
                  data: TrainData | None = None, absent: Collection[tuple[int, int]] = ()) -> DilocoResult:
    """All `k × R` inner rounds (nodes in order within a round) and the `R` outer steps, from the
    seeded initial weights: the result `run_local`, and any set of nodes following the algorithm,
    must equal bitwise. `plan` defaults to `plan_of(spec)`, `data` to `program.load_data(None)`.
    `absent` holds the (node, round) pairs, 0-based, that hand in no delta (stragglers): the outer
    step renormalises over the others, and their record's digest is the empty string."""
    plan = plan or plan_of(spec)
    data = data if data is not None else program.load_data(None)
    shards = shard_indices(data.n_train, plan.nodes, spec.schedule.seed)
    weights = initial_weights(spec, program)
    state = OuterState()
    records = []
    for round_index in range(plan.rounds):
        results = [None if (node, round_index) in absent
                   else inner_round(spec, program, weights, shards[node], node, round_index, plan=plan, data=data)
                   for node in range(plan.nodes)]
        with deterministic_torch(spec.determinism.threads):
            next_weights, state = outer_step(weights, [None if r is None else r.delta for r in results], state,
                                             plan.outer)
        records.append(RoundRecord(round_index, tensor_digest(weights),
                                   ["" if r is None else tensor_digest(r.delta) for r in results],
                                   tensor_digest(next_weights),
                                   [math.nan if r is None else r.final_loss for r in results]))
        logger.info("%s: round %d/%d done, losses %s", spec.name, round_index + 1, plan.rounds,
                    ", ".join("-" if r is None else f"{r.final_loss:.4f}" for r in results))
        weights = next_weights
    return DilocoResult(weights, state, records)
