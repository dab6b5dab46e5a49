"""One node's round: `H` inner steps on its shard from the round's start weights, its delta and
its end inner state.

Policy (what a verifier needs to replay a (node, round) pair): the start weights of the round, the
node's shard, the pair, and the inner state the node's previous committed round ended with.
- The inner optimizer (the spec's `training.optimizer` and `learning_rate`) is carried across a
  node's rounds, as in DiLoCo: round `r` starts from the end state of the node's latest committed
  round before `r` in its seat, or fresh (`previous_state` None) in its first round, in particular
  a node that just took a seat. The end state is committed with the delta
  (`nnc.distributed.commitment`), so a replay starts where the node did
  (`nnc.distributed.replay`). A state the node computed but did not get committed (a straggler's
  late round) is dropped: the next round starts from the last committed one.
- Batches: `BatchSampler(len(shard), batch_size, seed)` drawn at the node's global inner step
  `t = round·H + h` (h = 1..H), mapped through the shard; so a node walks its shard's epochs
  across rounds, and with one node (the shard is `range(n_train)`) its batches are plain
  training's (with the state carried and the outer step applying the delta as it is, one node's
  rounds are plain training, to float32 rounding of each outer step).
- RNG: the model is built as plain training builds it (`torch.manual_seed(seed)`), the start
  weights loaded into it, then the global RNG reseeded with `round_seed(seed, node, round)` for
  whatever the program's loss draws (dropout, diffusion noise).
- `deterministic_torch(spec.determinism.threads)` around it all, as in every runtime.
- W processes: with the spec's `parallel.processes` W > 1 a node's round is trained by W DDP
  ranks (`nnc.distributed.node_ddp`) under the same policy, each batch split over the ranks;
  reproducible bitwise at the spec's W, so nodes and verifiers train at that W.
- A round interrupted (the node killed) resumes from its mid-round checkpoint
  (`nnc.distributed.resume`) to the same delta and state bitwise.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence

import torch

from nnc.distributed.inner_state import load_optimizer_state, optimizer_state
from nnc.distributed.node_ddp import RankGroups, ddp_inner_round
from nnc.distributed.plan import DilocoPlan, InnerRound, plan_of, round_delta, round_seed, start_model
from nnc.distributed.resume import RoundCheckpoint, load_resumed, round_key, save_resumable
from nnc.errors import TrainingError
from nnc.task import TaskSpec
from nnc.training.data import BatchSampler
from nnc.training.program import Program, TrainData
from nnc.training.trainer import deterministic_torch, make_optimizer, train_step


def initial_weights(spec: TaskSpec, program: Program) -> dict[str, torch.Tensor]:
    """Round 0's start weights: the program's model as plain training builds it (seeded), on the CPU."""
    with deterministic_torch(spec.determinism.threads):
        torch.manual_seed(spec.schedule.seed)
        model = program.build()
        return {name: tensor.detach().clone() for name, tensor in program.weights(model).items()}


def inner_round(spec: TaskSpec, program: Program, start_weights: Mapping[str, torch.Tensor], shard: Sequence[int],
                node_index: int, round_index: int, *, previous_state: Mapping[str, torch.Tensor] | None = None,
                plan: DilocoPlan | None = None, steps: int | None = None, data: TrainData | None = None,
                checkpoint: RoundCheckpoint | None = None,
                after_step: Callable[[int], None] | None = None, groups: RankGroups | None = None) -> InnerRound:
    """Node `node_index`'s round `round_index` (0-based) on `shard` (its indices into the train split)
    from `start_weights` and the inner state `previous_state` (None: a fresh optimizer, the node's
    first round): `steps` inner steps (default the plan's H; fewer is a lazy node), on the CPU, by
    the policy in the module's notes. `plan` defaults to `plan_of(spec)`; `data` to
    `program.load_data(None)`. With `checkpoint`, the round is checkpointed every
    `checkpoint.every` steps and resumed from a checkpoint of the same round; `after_step(h)` is
    called after inner step `h` (progress, tests interrupting a round; in process only). With
    `plan.processes` W > 1 the node's W processes train the round with DDP
    (`nnc.distributed.node_ddp`), and the delta and state are theirs: its group in `groups`, kept
    open across rounds, or else a group started for this round."""
    started = time.perf_counter()
    plan = plan or plan_of(spec)
    steps = plan.inner_steps if steps is None else steps
    if not 0 <= round_index < plan.rounds or not 0 <= node_index < plan.nodes:
        raise TrainingError(f"round {round_index} of node {node_index} is outside the plan ({plan.rounds} rounds, "
                            f"{plan.nodes} nodes)")
    if not shard:
        raise TrainingError(f"node {node_index} has an empty shard")
    data = data if data is not None else program.load_data(None)
    if plan.processes > 1:  # W processes with DDP, started like torchrun
        if after_step is not None:
            raise TrainingError(f"after_step is called in the caller's process; node {node_index} trains round "
                                f"{round_index} in {plan.processes} other processes")
        return ddp_inner_round(spec, program, start_weights, shard, node_index, round_index,
                               previous_state=previous_state, plan=plan, steps=steps, data=data,
                               checkpoint=checkpoint, groups=groups)
    schedule = spec.schedule
    positions = torch.tensor(list(shard), dtype=torch.int64)
    sampler = BatchSampler(len(positions), schedule.batch_size, schedule.seed)
    key = "" if checkpoint is None else round_key(spec, node_index, round_index, steps, start_weights,
                                                  previous_state)
    with deterministic_torch(spec.determinism.threads):
        model = start_model(spec, program, start_weights, round_index)
        optimizer = make_optimizer(spec, program.trainable(model))
        if previous_state is not None:
            load_optimizer_state(model, optimizer, previous_state,
                                 f"node {node_index}'s inner state before round {round_index}")
        torch.manual_seed(round_seed(schedule.seed, node_index, round_index))
        loss, done = float("nan"), 0
        resumed = None if checkpoint is None else load_resumed(checkpoint, key)
        if resumed is not None:
            program.load_weights(model, resumed.weights)
            load_optimizer_state(model, optimizer, resumed.optimizer, f"the round checkpoint {checkpoint}")
            torch.set_rng_state(resumed.rng)
            loss, done = resumed.loss, resumed.step
        model.train()
        base = round_index * plan.inner_steps
        loop_started = time.perf_counter()
        for h in range(done + 1, steps + 1):
            step = base + h
            loss = train_step(program, model, optimizer, data, positions[sampler.indices(step)], step)
            if checkpoint is not None and h % checkpoint.every == 0 and h < steps:
                save_resumable(checkpoint, key, h, loss, program.weights(model), optimizer_state(model, optimizer))
            if after_step is not None:
                after_step(h)
        train_seconds = time.perf_counter() - loop_started
        delta = round_delta(start_weights, program.weights(model), round_index)
        state = optimizer_state(model, optimizer)
    if checkpoint is not None:
        checkpoint.path.unlink(missing_ok=True)
    return InnerRound(delta, state, loss, steps, train_seconds, time.perf_counter() - started, done)
