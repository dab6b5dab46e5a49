"""Checkpoints written behind the loop (`CheckpointWriter`): the same files and chain as written
inline, callbacks on the loop's thread in order, snapshots training cannot change, failures raised."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import torch

from nnc.errors import TrainingError
from nnc.task import load_spec, spec_digest
from nnc.training import Checkpoint, load_checkpoint
from nnc.training.checkpoint_writer import CheckpointWriter
from nnc.training.checkpoints import verify_state
from nnc.training.trainer import record_checkpoint
from tests.nodes import NODE

SPEC = load_spec(Path(__file__).resolve().parents[1] / "data" / "tiny-spec.json")


def _states(n: int) -> list[tuple[int, float, dict[str, torch.Tensor], dict[str, object]]]:
    generator = torch.Generator().manual_seed(3)
    return [(20 * (i + 1), 1.0 / (i + 1), {"w": torch.randn(4, 3, generator=generator)},
             {"state": {0: {"exp_avg": torch.randn(4, 3, generator=generator)}}, "param_groups": []})
            for i in range(n)]


def test_same_chain_and_files_as_inline(tmp_path: Path) -> None:
    inline: list[Checkpoint] = []
    for step, loss, weights, optimizer in _states(3):
        inline = record_checkpoint(SPEC, tmp_path / "inline", inline, step, loss, weights, optimizer, None, node=NODE)

    seen: list[tuple[int, str]] = []
    loop = threading.current_thread()

    def on_checkpoint(link: Checkpoint) -> None:
        assert threading.current_thread() is loop, "on_checkpoint must run on the loop's thread"
        seen.append((link.step, link.chain_head))

    with CheckpointWriter(SPEC, tmp_path / "behind", [], on_checkpoint, node=NODE) as writer:
        for step, loss, weights, optimizer in _states(3):
            writer.submit(step, loss, weights, optimizer)
        behind = writer.close()

    assert [(c.step, c.chain_head) for c in behind] == [(c.step, c.chain_head) for c in inline]
    assert seen == [(c.step, c.chain_head) for c in inline]
    for link in behind:
        state = load_checkpoint(link.path)
        verify_state(state, link.path, spec_digest(SPEC), SPEC.determinism.digest_decimals, node=NODE)


def test_snapshot_is_taken_at_submit(tmp_path: Path) -> None:
    weights = {"w": torch.zeros(2, 2)}
    with CheckpointWriter(SPEC, tmp_path, [], None, node=NODE) as writer:
        writer.submit(20, 0.5, weights, {})
        weights["w"].add_(1.0)  # training goes on changing the live tensor
        history = writer.close()
    assert torch.equal(load_checkpoint(history[0].path).model["w"], torch.zeros(2, 2))


def test_write_failure_is_raised(tmp_path: Path) -> None:
    blocker = tmp_path / "workdir"
    blocker.write_text("a file where the checkpoint directory goes")
    writer = CheckpointWriter(SPEC, blocker, [], None, node=NODE)
    with pytest.raises((OSError, TrainingError)):
        with writer:
            for step, loss, weights, optimizer in _states(3):
                writer.submit(step, loss, weights, optimizer)
            writer.close()
