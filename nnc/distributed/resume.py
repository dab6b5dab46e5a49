"""Mid-round checkpoints: a node killed inside a round resumes it and hands in the same delta.

`inner_round(..., checkpoint=RoundCheckpoint(path, every))` writes, every `every` inner steps
(not after the last), the model's weights, the inner optimizer's state (`optimizer_state`), the
global RNG's state and the step to `path` (atomically). Called again for the same round, it
continues from the file after the saved step; the delta and end state are bitwise those of an
uninterrupted round (the same float operations on the same values: the tensors are saved exactly).

A checkpoint belongs to one round of one node: its `key` is SHA-256 over the spec's digest, the
node, the round, the number of steps and the digests of the round's start weights and previous
state. A file with another key (an older round, another task) is ignored and overwritten. The
file is removed once the round is done.
"""

from __future__ import annotations

import hashlib
import logging
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from nnc.distributed.tensors import tensor_digest
from nnc.errors import TrainingError
from nnc.task import TaskSpec, spec_digest
from nnc.training.checkpoints import atomic_save

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoundCheckpoint:
    """Where a node keeps its mid-round checkpoint and how often (inner steps) it writes it."""

    path: Path
    every: int

    def __post_init__(self) -> None:
        if self.every < 1:
            raise TrainingError(f"a round checkpoint is written every at least one step, not {self.every}")


@dataclass(frozen=True)
class Resumed:
    """What a mid-round checkpoint holds: the inner steps done, the last step's loss, the weights,
    the optimizer state and the global RNG's state after them."""

    step: int
    loss: float
    weights: dict[str, torch.Tensor]
    optimizer: dict[str, torch.Tensor]
    rng: torch.Tensor


def round_key(spec: TaskSpec, node_index: int, round_index: int, steps: int,
              start_weights: Mapping[str, torch.Tensor], previous_state: Mapping[str, torch.Tensor] | None) -> str:
    """The identity of one (node, round) computation (see the module's notes), hex."""
    previous = "" if previous_state is None else tensor_digest(previous_state)
    material = (b"nnc-round-checkpoint" + spec_digest(spec)
                + struct.pack(">QQQ", node_index, round_index, steps)
                + tensor_digest(start_weights).encode() + previous.encode())
    return hashlib.sha256(material).hexdigest()


def load_resumed(checkpoint: RoundCheckpoint, key: str) -> Resumed | None:
    """The checkpoint at `checkpoint.path` when it is this round's (`key`), else None."""
    if not checkpoint.path.exists():
        return None
    try:
        saved: dict[str, Any] = torch.load(checkpoint.path, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is not a checkpoint to resume
        logger.warning("round checkpoint %s is unreadable, the round starts over: %s", checkpoint.path, exc)
        return None
    if not isinstance(saved, dict) or saved.get("key") != key:
        logger.info("round checkpoint %s is another round's: this one starts from its beginning", checkpoint.path)
        return None
    logger.info("resuming the round from %s after inner step %d", checkpoint.path, saved["step"])
    return Resumed(int(saved["step"]), float(saved["loss"]), saved["weights"], saved["optimizer"], saved["rng"])


def save_resumable(checkpoint: RoundCheckpoint, key: str, step: int, loss: float,
                   weights: Mapping[str, torch.Tensor], optimizer: Mapping[str, torch.Tensor]) -> None:
    """Writes the checkpoint of this round (`key`) after inner step `step`."""
    atomic_save({"key": key, "step": step, "loss": loss,
                 "weights": {name: tensor.detach().to("cpu", copy=True) for name, tensor in weights.items()},
                 "optimizer": dict(optimizer), "rng": torch.get_rng_state()}, checkpoint.path)
