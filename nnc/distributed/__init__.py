"""Distributed training across nodes: DiLoCo's data-parallel rounds, deterministic and checkable.

A spec's `parallel` section (`nnc.task.parallel_spec`) has `k` nodes train one task together in
`R` rounds. This package is the algorithm, off-chain; the worker daemons and the chain's round
records call it (a later slice):

- `shard_indices`: the split of the training set into `k` shards everyone computes;
- `inner_round`: one node's round, `H` inner steps on its shard from the round's start weights
  and the node's previous inner optimizer state, giving its delta (start − end) and its end
  state (`InnerState`, `optimizer_state` / `load_optimizer_state`); resumable mid-round from a
  `RoundCheckpoint`; trained by `W` DDP processes when the spec's `parallel.processes` asks for
  them (`nnc.distributed.node_ddp`: `RankGroup`, started as torchrun starts workers);
- `round_commitment` / `RoundManifest` / `publish_round` / `fetch_round`: what a node commits for
  a round (one digest binding its delta's and its end state's) and where they are stored;
- `replay_round`: a verifier's replay of a (node, round) from public inputs (`RoundReplay`);
- `tensor_bytes` / `tensor_digest`: a delta's (or weights') canonical bytes and their SHA-256,
  the content address a node commits;
- `outer_step`: the deltas averaged in node order (renormalised over the nodes present), then the
  outer optimizer: the next round's start weights, a deterministic function of the deltas;
- `reference_run`: all `k × R` inner rounds and the outer steps in one process, the result any
  set of nodes must equal bitwise;
- `run_local`: `k` OS processes exchanging deltas through a `Store`, as nodes will.

Determinism policy: each node's inner optimizer state is carried across its rounds, as in DiLoCo
(a fresh one in the node's first round in its seat), and committed with its delta, so a verifier
replays a (node, round) pair from the public start weights, the node's shard and its previous
committed state; batches and RNG are pure functions of (spec seed, node, round).
"""

from nnc.distributed.commitment import FetchedRound, RoundManifest, fetch_round, publish_round, round_commitment
from nnc.distributed.inner_state import InnerState, load_optimizer_state, optimizer_state
from nnc.distributed.local import LocalRun, RoundTiming, run_local
from nnc.distributed.node_ddp import RankGroup, RankGroups
from nnc.distributed.outer import OuterState, outer_step
from nnc.distributed.plan import DilocoPlan, InnerRound, plan_of, round_seed
from nnc.distributed.reference import DilocoResult, RoundRecord, reference_run
from nnc.distributed.replay import RoundReplay, replay_round
from nnc.distributed.resume import RoundCheckpoint
from nnc.distributed.rounds import initial_weights, inner_round
from nnc.distributed.shards import shard_indices
from nnc.distributed.tensors import tensor_bytes, tensor_digest, tensors_from_bytes

__all__ = [
    "DilocoPlan",
    "DilocoResult",
    "FetchedRound",
    "InnerRound",
    "InnerState",
    "LocalRun",
    "OuterState",
    "RankGroup",
    "RankGroups",
    "RoundCheckpoint",
    "RoundManifest",
    "RoundRecord",
    "RoundReplay",
    "RoundTiming",
    "fetch_round",
    "initial_weights",
    "inner_round",
    "load_optimizer_state",
    "optimizer_state",
    "outer_step",
    "plan_of",
    "publish_round",
    "reference_run",
    "replay_round",
    "round_commitment",
    "round_seed",
    "run_local",
    "shard_indices",
    "tensor_bytes",
    "tensor_digest",
    "tensors_from_bytes",
]
