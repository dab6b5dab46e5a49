"""Deterministic training: reproducibility, checkpoints, hash chain, resumption, acceptance."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from nnc.errors import TrainingError
from nnc.runtimes.dispatch import evaluate, train
from nnc.task import DATASET_SHAPES, TaskSpec, load_spec, model_macs, parse_spec, spec_digest
from nnc.training import (
    Checkpoint,
    TrainingResult,
    build_model,
    chain_genesis,
    chain_step,
    load_checkpoint,
    load_dataset_digest,
    model_digest,
)
from nnc.training.checkpoints import verify_state
from nnc.training.data import BatchSampler, export_dataset, load_data
from nnc.training.split import split_indices
from tests.nodes import NODE, OTHER_NODE

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "digits-mlp.json"


def small_spec(**training: Any) -> TaskSpec:
    """A 60-step variant of the example with a checkpoint every 20 steps."""
    data = json.loads(EXAMPLE.read_text())
    data["model"]["hidden"] = [32]
    data["training"].update({"steps": 60, "checkpoint_interval": 20, **training})
    return parse_spec(data)


class Interrupted(Exception):
    """Raised from a checkpoint callback to stop training as a crash would."""


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> TrainingResult:
    return train(small_spec(), tmp_path_factory.mktemp("reference"), node=NODE)


def heads(result: TrainingResult) -> list[tuple[int, float, str, str]]:
    return [(c.step, c.loss, c.weights_digest, c.chain_head) for c in result.checkpoints]


def test_two_runs_agree(reference: TrainingResult, tmp_path: Path) -> None:
    again = train(small_spec(), tmp_path, node=NODE)
    assert again.result_digest == reference.result_digest
    assert again.chain_head == reference.chain_head
    assert heads(again) == heads(reference)
    assert again.final_loss == reference.final_loss
    assert again.metric == reference.metric


def test_result_shape(reference: TrainingResult) -> None:
    assert len(reference.result_digest) == 32 and len(reference.chain_head) == 32
    assert [c.step for c in reference.checkpoints] == [20, 40, 60]
    assert all(c.path.is_file() and c.path.name == f"step-{c.step}.pt" for c in reference.checkpoints)
    assert reference.chain_head.hex() == reference.checkpoints[-1].chain_head
    assert reference.final_loss == reference.checkpoints[-1].loss
    assert reference.steps == 60 and reference.resumed_from == 0
    assert 0.0 <= reference.metric <= 1.0
    assert reference.accepted == (reference.metric >= 0.85)


def test_different_seed_gives_a_different_model(reference: TrainingResult, tmp_path: Path) -> None:
    other = train(small_spec(seed=43), tmp_path, node=NODE)
    assert other.result_digest != reference.result_digest
    assert other.chain_head != reference.chain_head


def test_chain_and_files_can_be_checked_independently(reference: TrainingResult) -> None:
    spec = small_spec()
    head = hashlib.sha256(spec_digest(spec) + bytes.fromhex(NODE[2:])).digest()  # the node's genesis
    assert head == chain_genesis(spec, NODE)
    for link in reference.checkpoints:
        state = load_checkpoint(link.path)
        weights = model_digest(state.model, spec.determinism.digest_decimals)
        assert weights.hex() == link.weights_digest
        head = chain_step(head, weights, link.step, link.loss)
        assert head.hex() == link.chain_head
    assert head == reference.chain_head
    final = torch.load(reference.model_path, weights_only=True)
    assert set(final) == {"0.weight", "0.bias", "2.weight", "2.bias"}
    assert model_digest(final, spec.determinism.digest_decimals) == reference.result_digest


def test_two_nodes_agree_on_the_model_but_not_on_the_chain(reference: TrainingResult, tmp_path: Path) -> None:
    """Replicas commit the same model digest, but each posts its own chain: a copier of another
    node's snapshots posts heads that do not verify from its own genesis."""
    spec = small_spec()
    other = train(spec, tmp_path, node=OTHER_NODE)
    assert other.result_digest == reference.result_digest and other.final_loss == reference.final_loss
    assert [(c.step, c.loss, c.weights_digest) for c in other.checkpoints] == [
        (c.step, c.loss, c.weights_digest) for c in reference.checkpoints]
    assert all(mine.chain_head != theirs.chain_head for mine, theirs in zip(other.checkpoints, reference.checkpoints,
                                                                             strict=True))
    assert chain_genesis(spec, NODE) != chain_genesis(spec, OTHER_NODE) != spec_digest(spec)
    decimals = spec.determinism.digest_decimals
    for node, result in ((NODE, reference), (OTHER_NODE, other)):
        last = result.checkpoints[-1].path
        verify_state(load_checkpoint(last), last, spec_digest(spec), decimals, node=node)
        verify_state(load_checkpoint(last), last, spec_digest(spec), decimals, node=node.lower())  # any case
    ours, theirs = reference.checkpoints[-1].path, other.checkpoints[-1].path
    with pytest.raises(TrainingError, match=f"genesis of node {OTHER_NODE.lower()} .*says node {NODE.lower()}"):
        verify_state(load_checkpoint(ours), ours, spec_digest(spec), decimals, node=OTHER_NODE)
    with pytest.raises(TrainingError, match=f"genesis of node {NODE.lower()} .*says node {OTHER_NODE.lower()}"):
        verify_state(load_checkpoint(theirs), theirs, spec_digest(spec), decimals, node=NODE)
    with pytest.raises(TrainingError, match="genesis of no node"):
        verify_state(load_checkpoint(ours), ours, spec_digest(spec), decimals, node=None)


def test_a_chain_relabelled_with_another_node_is_refused(tmp_path: Path) -> None:
    """The node recorded in a file is only a label: the chain itself must start from the node's genesis."""
    spec = small_spec(steps=20, checkpoint_interval=10)
    train(spec, tmp_path, node=NODE)
    path = tmp_path / "checkpoints" / "step-20.pt"
    payload = torch.load(path, weights_only=True)
    payload["node"] = OTHER_NODE.lower()
    torch.save(payload, path)
    with pytest.raises(TrainingError, match=f"chain from the genesis of node {OTHER_NODE.lower()} breaks at step 10"):
        verify_state(load_checkpoint(path), path, spec_digest(spec), spec.determinism.digest_decimals,
                     node=OTHER_NODE)


def test_final_model_evaluates_to_the_reported_metric(reference: TrainingResult) -> None:
    spec = small_spec()
    assert evaluate(spec, torch.load(reference.model_path, weights_only=True)) == reference.metric


@pytest.mark.parametrize("stop_at", [20, 40])
def test_resume_after_a_crash_matches_an_uninterrupted_run(
    reference: TrainingResult, tmp_path: Path, stop_at: int
) -> None:
    def crash(checkpoint: Checkpoint) -> None:
        if checkpoint.step == stop_at:
            raise Interrupted

    with pytest.raises(Interrupted):
        train(small_spec(), tmp_path, node=NODE, on_checkpoint=crash)
    assert not (tmp_path / "model.pt").exists()

    seen: list[int] = []
    resumed = train(small_spec(), tmp_path, node=NODE, on_checkpoint=lambda c: seen.append(c.step))
    assert resumed.resumed_from == stop_at
    assert seen == [step for step in (20, 40, 60) if step > stop_at]
    assert resumed.result_digest == reference.result_digest
    assert resumed.chain_head == reference.chain_head
    assert heads(resumed) == heads(reference)


def test_resuming_checks_the_genesis_of_the_resuming_node(reference: TrainingResult, tmp_path: Path) -> None:
    """A node resumes only its own chain: another node's checkpoints in the work directory are
    refused (naming both nodes), and the node that chained them resumes as usual."""
    def crash(checkpoint: Checkpoint) -> None:
        if checkpoint.step == 40:
            raise Interrupted

    with pytest.raises(Interrupted):
        train(small_spec(), tmp_path, node=NODE, on_checkpoint=crash)
    with pytest.raises(TrainingError, match=f"checkpoint .*step-40.pt: its hash chain does not start from the "
                                            f"genesis of node {OTHER_NODE.lower()} .*says node {NODE.lower()}"):
        train(small_spec(), tmp_path, node=OTHER_NODE)
    with pytest.raises(TrainingError, match="genesis of no node"):
        train(small_spec(), tmp_path, node=None)
    resumed = train(small_spec(), tmp_path, node=NODE.lower())
    assert resumed.resumed_from == 40 and heads(resumed) == heads(reference)
    fresh = train(small_spec(), tmp_path, node=OTHER_NODE, resume=False)
    assert fresh.resumed_from == 0 and fresh.result_digest == reference.result_digest
    assert fresh.chain_head != reference.chain_head


def test_a_malformed_node_address_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="20 bytes in hex"):
        train(small_spec(), tmp_path, node="0x1234")


def test_resume_of_a_finished_run_trains_nothing(reference: TrainingResult, tmp_path: Path) -> None:
    first = train(small_spec(), tmp_path, node=NODE)
    progress: list[int] = []
    second = train(small_spec(), tmp_path, node=NODE, on_progress=lambda step, loss: progress.append(step))
    assert progress == [] and second.resumed_from == 60
    assert second.result_digest == first.result_digest == reference.result_digest
    assert second.chain_head == reference.chain_head


def test_resume_false_starts_over(reference: TrainingResult, tmp_path: Path) -> None:
    train(small_spec(seed=5), tmp_path, node=NODE)
    fresh = train(small_spec(), tmp_path, node=NODE, resume=False)
    assert fresh.resumed_from == 0
    assert fresh.result_digest == reference.result_digest


def test_checkpoints_of_another_spec_are_refused(tmp_path: Path) -> None:
    train(small_spec(seed=5), tmp_path, node=NODE)
    with pytest.raises(TrainingError, match="belongs to spec"):
        train(small_spec(), tmp_path, node=NODE)


def test_tampered_checkpoint_is_refused(tmp_path: Path) -> None:
    def crash(checkpoint: Checkpoint) -> None:
        raise Interrupted

    with pytest.raises(Interrupted):
        train(small_spec(), tmp_path, node=NODE, on_checkpoint=crash)
    path = tmp_path / "checkpoints" / "step-20.pt"
    payload = torch.load(path, weights_only=True)
    payload["model"]["0.bias"][0] += 0.5
    torch.save(payload, path)
    with pytest.raises(TrainingError, match="weights digest"):
        train(small_spec(), tmp_path, node=NODE)
    payload["history"][0]["loss"] += 1.0
    torch.save(payload, path)
    with pytest.raises(TrainingError, match="hash chain from the genesis of node .* breaks at step 20"):
        train(small_spec(), tmp_path, node=NODE)


def test_example_spec_reaches_its_threshold(tmp_path: Path) -> None:
    spec = load_spec(EXAMPLE)
    progress: list[tuple[int, float]] = []
    result = train(spec, tmp_path, node=NODE, on_progress=lambda step, loss: progress.append((step, loss)))
    assert result.accepted, f"accuracy {result.metric} below {spec.acceptance.threshold}"
    assert result.metric >= spec.acceptance.threshold
    assert [step for step, _ in progress] == list(range(10, 301, 10))
    assert progress[-1][1] < progress[0][1]
    assert [c.step for c in result.checkpoints] == [100, 200, 300]


def test_uneven_schedule_checkpoints_the_last_step(tmp_path: Path) -> None:
    result = train(small_spec(steps=25, checkpoint_interval=10, batch_size=2000), tmp_path, node=NODE)
    assert [c.step for c in result.checkpoints] == [10, 20, 25]


def test_cnn_trains_deterministically(tmp_path: Path) -> None:
    data = json.loads(EXAMPLE.read_text())
    data["model"] = {"kind": "cnn", "channels": [4]}
    data["training"].update(steps=20, checkpoint_interval=10, optimizer="sgd", learning_rate=0.1)
    spec = parse_spec(data)
    first = train(spec, tmp_path / "a", node=NODE)
    second = train(spec, tmp_path / "b", node=NODE)
    assert first.result_digest == second.result_digest and first.chain_head == second.chain_head


def test_training_pins_torch_settings_and_restores_them(tmp_path: Path) -> None:
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        torch.manual_seed(1234)
        expected = torch.rand(3)
        torch.manual_seed(1234)
        inside: list[tuple[int, bool]] = []
        train(
            small_spec(steps=10, checkpoint_interval=10),
            tmp_path, node=NODE,
            on_progress=lambda step, loss: inside.append(
                (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled())
            ),
        )
        assert inside == [(1, True)]
        assert torch.get_num_threads() == 2
        assert not torch.are_deterministic_algorithms_enabled()
        assert torch.equal(torch.rand(3), expected)  # the caller's RNG stream is untouched
    finally:
        torch.set_num_threads(threads)


def test_dataset_digest_is_checked(tmp_path: Path) -> None:
    spec = small_spec()
    pinned = json.loads(EXAMPLE.read_text())
    pinned["training"].update(steps=1, checkpoint_interval=1)
    pinned["dataset"]["digest"] = load_dataset_digest(spec)
    assert train(parse_spec(pinned), tmp_path / "ok", node=NODE).steps == 1
    pinned["dataset"]["digest"] = "0" * 64
    with pytest.raises(TrainingError, match="the spec pins"):
        train(parse_spec(pinned), tmp_path / "bad", node=NODE)


def test_split_is_deterministic_disjoint_and_complete() -> None:
    train_a, eval_a = split_indices(1797, 42, 0.2)
    assert (train_a, eval_a) == split_indices(1797, 42, 0.2)
    assert len(eval_a) == 359 and sorted(train_a + eval_a) == list(range(1797))
    assert split_indices(1797, 43, 0.2)[1] != eval_a
    data = load_data(small_spec())
    assert data.train_x.dtype == torch.float32 and data.train_x.shape == (1797 - 359, 64)
    assert float(data.train_x.min()) == 0.0 and float(data.train_x.max()) == 1.0


def test_batches_are_exact_and_cover_each_epoch() -> None:
    sampler = BatchSampler(n_samples=10, batch_size=4, seed=1)
    batches = [sampler.indices(step) for step in range(1, 6)]  # 20 samples = 2 epochs
    assert all(len(b) == 4 for b in batches)
    stream = torch.cat(batches)
    assert sorted(stream[:10].tolist()) == list(range(10)) and sorted(stream[10:].tolist()) == list(range(10))
    assert torch.equal(BatchSampler(10, 4, 1).indices(4), batches[3])  # a function of the step alone
    assert len(BatchSampler(3, 7, 1).indices(2)) == 7  # batches larger than the set wrap around


@pytest.mark.parametrize(
    "model", [{"kind": "mlp", "hidden": []}, {"kind": "mlp", "hidden": [64, 16]}, {"kind": "cnn", "channels": [4, 8]}]
)
def test_priced_macs_match_the_built_module(model: dict[str, Any]) -> None:
    data = json.loads(EXAMPLE.read_text())
    data["model"] = model
    spec = parse_spec(data)
    module = build_model(spec.model, DATASET_SHAPES[spec.dataset.name])
    counted = 0

    def count(layer: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        nonlocal counted
        if isinstance(layer, nn.Linear):
            counted += layer.in_features * layer.out_features
        elif isinstance(layer, nn.Conv2d):
            kernel = layer.kernel_size[0] * layer.kernel_size[1]
            counted += output[0].numel() * layer.in_channels * kernel

    for layer in module.modules():
        layer.register_forward_hook(count)
    module(torch.zeros(1, 64))
    assert counted == model_macs(spec)


def test_training_on_a_stored_copy_of_the_dataset_gives_the_bundled_result(reference: TrainingResult,
                                                                          tmp_path: Path) -> None:
    spec = small_spec()
    stored = spec.model_copy(update={"dataset": spec.dataset.model_copy(update={"uri": "ipfs://copy"})})
    copy = export_dataset(spec.dataset, tmp_path / "digits.npz")
    result = train(stored, tmp_path / "run", node=NODE, dataset_file=copy)
    # the spec (and so the chain's genesis) differs by its uri; the weights do not
    assert result.result_digest == reference.result_digest


def test_a_dataset_file_of_the_wrong_kind_is_refused_naming_it(tmp_path: Path) -> None:
    spec = small_spec()
    stored = spec.model_copy(update={"dataset": spec.dataset.model_copy(update={"uri": "ipfs://copy"})})
    bad = tmp_path / "bad.npz"
    np.savez(bad, inputs=np.zeros((4, 64), dtype=np.float64), labels=np.zeros(4, dtype=np.int64))
    with pytest.raises(TrainingError, match="bad.npz.*float32"):
        load_data(stored, bad)
    (tmp_path / "junk.npz").write_bytes(b"not an archive")
    with pytest.raises(TrainingError, match="junk.npz"):
        load_data(stored, tmp_path / "junk.npz")
