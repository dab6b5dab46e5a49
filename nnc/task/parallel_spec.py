"""The `parallel` section of a task spec: one task trained by several nodes together (DiLoCo).

`parallel: {nodes: k, inner_steps: H, rounds: R, outer: {optimizer, lr, momentum}, processes: W}` asks for
data-parallel rounds across `k` nodes (Douillard et al., 2023, "DiLoCo"): the training split is
cut into `k` shards (`nnc.distributed.shard_indices`); in each of `R` rounds every node trains `H`
inner steps on its shard from the round's start weights, with the spec's `training` optimizer
(its state carried from the node's previous committed round, as DiLoCo's), learning rate and
batch size, and hands in its delta (start − end) with its end optimizer state (both committed,
`nnc.distributed.commitment`); the deltas are averaged in
node order and the outer optimizer (`nesterov`: SGD with Nesterov momentum, DiLoCo's choice, or
`sgd`: with plain momentum, none at `momentum` 0) moves the start weights to the next round's.
The algorithm is `nnc.distributed`'s.

What the rest of the spec means for such a task:
- `training.steps` must equal `inner_steps × rounds`: the inner steps each node trains (its
  share), so a node's schedule reads as a plain task's would. It is not derived because a spec's
  fields do not change meaning with another section's presence.
- The task's compute units are `nodes ×` those of its `training` schedule (`nnc.task.cost`).
- Only frameworks whose runtime drives a torch `Program` (not `jax`), on the CPU (`execution.device`
  'cpu'): the outer step is checked bitwise, which this slice guarantees on the CPU only.
- `processes` (W, default 1): each node trains its round with W local processes (one per GPU, or
  CPU processes), `torch.distributed`'s DistributedDataParallel started as torchrun starts workers
  (`nnc.distributed.node_ddp`). `training.batch_size` stays the node's batch per inner step, split
  evenly over the W processes (so W must divide it); the gradients are averaged over them. W is
  part of the spec because the allreduce's order of additions depends on it: every node and every
  verifier trains and replays a round at the spec's W, which is what makes a delta reproducible
  bitwise. With W = 1 the node trains in its own process. `determinism.threads` is per process.
- It is published with replication `nodes`: the market assigns the `k` nodes, one per shard
  (`nnc.task.execution`), and the requester opens its round book (`nnc.task.publish`).
"""

from __future__ import annotations

from typing import Final, Literal

from pydantic import Field

from nnc.task.model_specs import SpecSection

MAX_NODES: Final = 64
MAX_PROCESSES: Final = 64

OuterOptimizer = Literal["nesterov", "sgd"]


class OuterSpec(SpecSection):
    """The outer optimizer that applies the averaged delta (an outer gradient) to the start weights."""

    optimizer: OuterOptimizer = "nesterov"
    lr: float = Field(gt=0.0, le=10.0, description="outer learning rate (DiLoCo: 0.7)")
    momentum: float = Field(default=0.9, ge=0.0, lt=1.0, description="outer momentum (DiLoCo: 0.9)")


class ParallelSpec(SpecSection):
    """Data-parallel rounds across nodes (see the module's notes)."""

    nodes: int = Field(ge=2, le=MAX_NODES, description="how many nodes train the task together, one shard each")
    inner_steps: int = Field(ge=1, le=1_000_000, description="optimizer steps each node trains per round (H)")
    rounds: int = Field(ge=1, le=100_000, description="outer steps (R)")
    outer: OuterSpec
    processes: int = Field(default=1, ge=1, le=MAX_PROCESSES,
                           description="processes each node trains its round with, by DDP (W); batch_size / W each")
