"""Distributed training across nodes: DiLoCo's data-parallel rounds, deterministic and checkable.

A spec's `parallel` section (`nnc.task.parallel_spec`) has `k` nodes train one task together in
`R` rounds. This package is the algorithm, off-chain; the worker daemons and the chain's round
records call it (a later slice):

- `shard_indices`: the split of the training set into `k` shards everyone computes;
- `inner_round`: one node's round, `H` inner steps on its shard from the round's start weights,
  giving its delta (start − end);
- `tensor_bytes` / `tensor_digest`: a delta's (or weights') canonical bytes and their SHA-256,
  the content address a node commits;
- `outer_step`: the deltas averaged in node order (renormalised over the nodes present), then the
  outer optimizer: the next round's start weights, a deterministic function of the deltas;
- `reference_run`: all `k × R` inner rounds and the outer steps in one process, the result any
  set of nodes must equal bitwise;
- `run_local`: `k` OS processes exchanging deltas through a `Store`, as nodes will.

Determinism policy: every inner round starts a fresh inner optimizer (DiLoCo keeps each node's
Adam state across rounds; we do not, so a verifier replays a (node, round) pair from the public
start weights, the shard and the pair alone, and no optimizer state has to be committed), and its
batches and RNG are pure functions of (spec seed, node, round).
"""

from nnc.distributed.local import LocalRun, RoundTiming, run_local
from nnc.distributed.outer import OuterState, outer_step
from nnc.distributed.reference import DilocoResult, RoundRecord, reference_run
from nnc.distributed.rounds import DilocoPlan, InnerRound, initial_weights, inner_round, plan_of, round_seed
from nnc.distributed.shards import shard_indices
from nnc.distributed.tensors import tensor_bytes, tensor_digest, tensors_from_bytes

__all__ = [
    "DilocoPlan",
    "DilocoResult",
    "InnerRound",
    "LocalRun",
    "OuterState",
    "RoundRecord",
    "RoundTiming",
    "initial_weights",
    "inner_round",
    "outer_step",
    "plan_of",
    "reference_run",
    "round_seed",
    "run_local",
    "shard_indices",
    "tensor_bytes",
    "tensor_digest",
    "tensors_from_bytes",
]
