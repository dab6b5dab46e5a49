"""DiLoCo's rounds (`nnc.distributed`): the shard rule, the outer step, the reference run and the
multi-process run that must equal it bitwise, a lazy node's delta, and the reduction to plain
training. A tiny MLP on the bundled digits: each test trains for well under a second."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import torch

from nnc.distributed import (
    DilocoPlan,
    DilocoResult,
    OuterState,
    initial_weights,
    inner_round,
    outer_step,
    plan_of,
    reference_run,
    run_local,
    shard_indices,
    tensor_bytes,
    tensor_digest,
    tensors_from_bytes,
)
from nnc.errors import TaskSpecError, TrainingError
from nnc.task import TaskSpec, canonical_json, compute_units, model_macs, parse_spec, spec_digest
from nnc.task.execution import mode_problem
from nnc.task.parallel_spec import OuterSpec
from nnc.training.data import SplitData
from nnc.training.program import Program
from nnc.training.trainer import replay_program

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "digits-mlp.json"
NODES, INNER, ROUNDS = 3, 4, 3


def document(**parallel: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE.read_text())
    data["model"]["hidden"] = [16]
    data["training"].update(steps=INNER * ROUNDS, checkpoint_interval=INNER * ROUNDS, batch_size=16)
    data["parallel"] = {"nodes": NODES, "inner_steps": INNER, "rounds": ROUNDS,
                        "outer": {"optimizer": "nesterov", "lr": 0.7, "momentum": 0.9}} | parallel
    return data


@pytest.fixture(scope="module")
def spec() -> TaskSpec:
    return parse_spec(document())


def same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return sorted(a) == sorted(b) and all(torch.equal(a[name], b[name]) for name in a)


# --- the spec section ---------------------------------------------------------------------------

def test_parallel_section_is_absent_from_the_canonical_form_when_absent(spec: TaskSpec) -> None:
    plain = parse_spec(json.loads(EXAMPLE.read_text()))
    assert b'"parallel"' not in canonical_json(plain)
    assert b'"parallel":{"inner_steps":4,"nodes":3,"outer":{"lr":0.7,"momentum":0.9,"optimizer":"nesterov"}' \
        in canonical_json(spec)
    assert spec_digest(spec) != spec_digest(spec.model_copy(update={"parallel": None}))


@pytest.mark.parametrize(("change", "message"), [
    ({"nodes": 1}, "parallel.nodes: Input should be greater than or equal to 2"),
    ({"nodes": 65}, "parallel.nodes: Input should be less than or equal to 64"),
    ({"inner_steps": 5}, "training.steps (12) must equal parallel.inner_steps × parallel.rounds (5 × 3 = 15)"),
    ({"outer": {"optimizer": "adam", "lr": 0.7}}, "parallel.outer.optimizer: Input should be 'nesterov' or 'sgd'"),
    ({"outer": {"lr": 0}}, "parallel.outer.lr: Input should be greater than 0"),
])
def test_bad_parallel_sections_are_named(change: dict[str, Any], message: str) -> None:
    with pytest.raises(TaskSpecError) as caught:
        parse_spec(document(**change), source="spec.json")
    assert message in str(caught.value)


def test_parallel_needs_a_torch_program_on_the_cpu() -> None:
    on_gpu = document() | {"execution": {"device": "cuda"}}
    with pytest.raises(TaskSpecError, match="parallel rounds train on the CPU only"):
        parse_spec(on_gpu)
    jax = document() | {"framework": "jax"}
    with pytest.raises(TaskSpecError, match="framework 'jax' trains no torch Program"):
        parse_spec(jax)


def test_a_parallel_task_costs_its_nodes_times_its_schedule_and_is_published_for_its_nodes(spec: TaskSpec) -> None:
    single = spec.model_copy(update={"parallel": None})
    flops = 6 * model_macs(spec) * spec.schedule.batch_size * spec.schedule.steps
    assert compute_units(spec) == -(-NODES * flops // 1_000_000) > compute_units(single) == -(-flops // 1_000_000)
    assert mode_problem(spec, NODES) is None
    for wrong in (1, NODES + 1):
        problem = mode_problem(spec, wrong)
        assert problem is not None and f"replication {NODES}, not {wrong}" in problem


# --- shards -------------------------------------------------------------------------------------

def test_shards_are_disjoint_covering_near_equal_and_stable() -> None:
    shards = shard_indices(1000, 3, seed=7)
    assert sorted(i for shard in shards for i in shard) == list(range(1000))
    assert [len(s) for s in shards] == [333, 333, 334]
    assert all(shard == sorted(shard) for shard in shards)
    assert shard_indices(1000, 3, seed=7) == shards
    assert shard_indices(1000, 3, seed=8) != shards
    assert shard_indices(10, 1, seed=3) == [list(range(10))]


def test_the_shard_rule_is_the_documented_one() -> None:
    """Pinned, and recomputed from the docstring's words: the rule is a protocol constant."""
    assert shard_indices(10, 3, seed=1) == [[3, 4, 8], [0, 1, 9], [2, 5, 6, 7]]
    n, k, seed = 101, 4, 2**40 + 3
    order = sorted(range(n), key=lambda i: hashlib.sha256(b"nnc-shard" + seed.to_bytes(8, "big")
                                                          + i.to_bytes(8, "big")).digest())
    assert shard_indices(n, k, seed) == [sorted(order[j * n // k:(j + 1) * n // k]) for j in range(k)]


def test_too_few_samples_for_the_nodes_is_refused() -> None:
    with pytest.raises(TrainingError, match="3 training samples cannot be split into 4 non-empty shards"):
        shard_indices(3, 4, seed=1)


# --- canonical bytes ----------------------------------------------------------------------------

def test_tensor_bytes_are_canonical() -> None:
    a = {"b": torch.arange(6, dtype=torch.float32).reshape(2, 3), "a": torch.ones(2)}
    b = {"a": torch.ones(2), "b": torch.arange(6, dtype=torch.float32).reshape(2, 3).t().contiguous().t()}
    assert tensor_bytes(a) == tensor_bytes(b)
    assert tensor_digest(a) == hashlib.sha256(tensor_bytes(a)).hexdigest()
    assert same(tensors_from_bytes(tensor_bytes(a)), a)
    with pytest.raises(TrainingError, match="node 2's delta are not safetensors bytes"):
        tensors_from_bytes(b"junk", "node 2's delta")


# --- the outer step -----------------------------------------------------------------------------

def _random(seed: int) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return {"w": torch.randn(5, 7, generator=generator), "b": torch.randn(7, generator=generator)}


def test_outer_step_is_deterministic_and_matches_torch_nesterov() -> None:
    start, deltas = _random(0), [_random(1), _random(2), _random(3)]
    spec = OuterSpec(optimizer="nesterov", lr=0.7, momentum=0.9)
    first, state = outer_step(start, deltas, OuterState(), spec)
    again, state_again = outer_step(start, deltas, OuterState(), spec)
    assert same(first, again) and state.momentum is not None and state_again.momentum is not None
    assert same(state.momentum, state_again.momentum)
    second, _ = outer_step(first, deltas[::-1], state, spec)

    # torch's own SGD with Nesterov momentum, given the averaged delta as the gradient, agrees to rounding
    params = {name: torch.nn.Parameter(tensor.clone()) for name, tensor in start.items()}
    optimizer = torch.optim.SGD(params.values(), lr=0.7, momentum=0.9, nesterov=True)
    for order in (deltas, deltas[::-1]):
        for name, param in params.items():
            param.grad = sum((d[name] for d in order), torch.zeros_like(param)) / 3
        optimizer.step()
    for name, param in params.items():
        assert torch.allclose(param.detach(), second[name], atol=1e-6)


def test_sgd_with_lr_one_and_no_momentum_applies_the_mean_delta() -> None:
    start, deltas = _random(0), [_random(1), _random(2)]
    spec = OuterSpec(optimizer="sgd", lr=1.0, momentum=0.0)
    nxt, _ = outer_step(start, deltas, OuterState(), spec)
    for name in start:
        assert torch.equal(nxt[name], start[name] - (deltas[0][name] * 0.5 + deltas[1][name] * 0.5))


def test_a_missing_node_is_left_out_and_the_others_renormalised() -> None:
    start, deltas = _random(0), [_random(1), _random(2), _random(3)]
    spec = OuterSpec(optimizer="sgd", lr=1.0, momentum=0.0)
    missing, _ = outer_step(start, [deltas[0], None, deltas[2]], OuterState(), spec)
    two, _ = outer_step(start, [deltas[0], deltas[2]], OuterState(), spec)
    assert same(missing, two)
    full, _ = outer_step(start, deltas, OuterState(), spec)
    assert not same(missing, full)
    # weighted: node weights renormalise over the nodes present
    weighted, _ = outer_step(start, [deltas[0], None, deltas[2]], OuterState(), spec, weights_of_nodes=[3, 5, 1])
    for name in start:
        expected = start[name] - (deltas[0][name] * torch.tensor(0.75) + deltas[2][name] * torch.tensor(0.25))
        assert torch.equal(weighted[name], expected)
    with pytest.raises(TrainingError, match="no node handed in a delta this round"):
        outer_step(start, [None, None], OuterState(), spec)


def test_a_delta_of_the_wrong_shape_names_the_node() -> None:
    start, delta = _random(0), _random(1)
    delta["w"] = delta["w"][:2]
    with pytest.raises(TrainingError, match=r"node 1's delta of 'w' is torch.float32 \(2, 7\)"):
        outer_step(start, [_random(2), delta], OuterState(), OuterSpec(lr=0.7))


# --- rounds -------------------------------------------------------------------------------------

def test_reference_run_is_reproducible_and_trains(spec: TaskSpec, program: Program, data: SplitData,
                                                  reference: DilocoResult) -> None:
    again = reference_run(spec, program, data=data)
    assert same(again.weights, reference.weights)
    assert [r.delta_digests for r in again.rounds] == [r.delta_digests for r in reference.rounds]
    assert len(reference.rounds) == ROUNDS and all(len(r.delta_digests) == NODES for r in reference.rounds)
    assert len({d for r in reference.rounds for d in r.delta_digests}) == NODES * ROUNDS  # every delta differs
    assert all(a.next_digest == b.start_digest for a, b in zip(reference.rounds, reference.rounds[1:], strict=False))
    assert not same(reference.weights, initial_weights(spec, program))


def test_multi_process_run_equals_the_reference_bitwise(spec: TaskSpec, reference: DilocoResult,
                                                       tmp_path: Path) -> None:
    run = run_local(spec, tmp_path / "store", timeout_s=120)
    assert same(run.result.weights, reference.weights)
    assert [r.delta_digests for r in run.result.rounds] == [r.delta_digests for r in reference.rounds]
    assert run.result.rounds == reference.rounds
    assert run.delta_bytes > 0 and len(run.timings) == ROUNDS
    assert run.state_bytes > run.delta_bytes  # Adam: two moments per weight and the step counters
    assert all(0.0 <= t.overhead_fraction < 1.0 for t in run.timings)


def test_a_lazy_node_is_caught_by_replaying_its_round(spec: TaskSpec, program: Program, data: SplitData,
                                                      reference: DilocoResult) -> None:
    plan = plan_of(spec)
    shards = shard_indices(data.n_train, plan.nodes, spec.schedule.seed)
    start = initial_weights(spec, program)
    node, round_index = 1, 0
    honest = inner_round(spec, program, start, shards[node], node, round_index, data=data)
    assert tensor_digest(honest.delta) == reference.rounds[0].delta_digests[node]  # a replay reproduces it
    lazy = inner_round(spec, program, start, shards[node], node, round_index, steps=INNER - 1, data=data)
    assert lazy.steps == INNER - 1
    assert tensor_digest(lazy.delta) != tensor_digest(honest.delta)
    # a node that trains on another's shard is caught the same way
    wrong_shard = inner_round(spec, program, start, shards[0], node, round_index, data=data)
    assert tensor_digest(wrong_shard.delta) != tensor_digest(honest.delta)


def test_one_node_one_round_is_plain_training(spec: TaskSpec, program: Program, data: SplitData) -> None:
    """k = 1, R = 1, H = training.steps: the node's end weights are plain training's bitwise
    (delta = start − plain end, exactly), and with outer `sgd`, lr 1, momentum 0 the final
    weights are `start − (start − end)`, equal to plain training's to float32 rounding."""
    plain_spec = spec.model_copy(update={"parallel": None})
    steps = plain_spec.schedule.steps
    plan = DilocoPlan(1, steps, 1, OuterSpec(optimizer="sgd", lr=1.0, momentum=0.0))
    start = initial_weights(plain_spec, program)
    plain = replay_program(plain_spec, program, None, steps, data)
    node_round = inner_round(plain_spec, program, start, range(data.n_train), 0, 0, plan=plan, data=data)
    assert same(node_round.delta, {name: start[name] - plain[name] for name in start})
    result = reference_run(plain_spec, program, plan=plan, data=data)
    for name in plain:
        assert torch.allclose(result.weights[name], plain[name], rtol=0, atol=1e-6)


def test_one_node_sgd_rounds_are_plain_sgd_training(spec: TaskSpec, program: Program, data: SplitData) -> None:
    """With a stateless inner optimizer (plain SGD), one node's R rounds of H steps with outer `sgd`
    lr 1, momentum 0 are plain training of H·R steps, to float32 rounding of each outer step."""
    sgd = spec.model_copy(update={"parallel": None,
                                  "training": spec.schedule.model_copy(update={"optimizer": "sgd"})})
    plan = DilocoPlan(1, INNER, ROUNDS, OuterSpec(optimizer="sgd", lr=1.0, momentum=0.0))
    plain = replay_program(sgd, program, None, INNER * ROUNDS, data)
    result = reference_run(sgd, program, plan=plan, data=data)
    for name in plain:
        assert torch.allclose(result.weights[name], plain[name], rtol=0, atol=1e-5)


def broken_program(spec: TaskSpec) -> Program:
    """A program factory that fails in the node's process (module-level: the nodes are spawned)."""
    raise TrainingError(f"{spec.name}: this program cannot be built")


def test_a_failing_node_process_is_named(spec: TaskSpec, tmp_path: Path) -> None:
    plan = DilocoPlan(1, INNER, 1, OuterSpec(optimizer="sgd", lr=1.0, momentum=0.0))
    with pytest.raises(TrainingError, match="node 0 failed: TrainingError: digits-mlp: this program cannot be built"):
        run_local(spec, tmp_path / "store", plan=plan, program_factory=broken_program, timeout_s=120)
