"""Checkpoint files and the hash chain that links them.

A checkpoint file `workdir/checkpoints/step-<n>.pt` is a `torch.save`d dict holding the model and
optimizer state, the step, the (rounded) loss, the spec digest, the node whose chain it is and the
whole chain up to this checkpoint, so that a run can resume from the latest file alone and check it
was not altered. The chain starts from `chain_genesis(spec, node)`: a checkpoint verifies only for
the node that trained it.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import torch

from nnc.errors import TrainingError
from nnc.training.digest import chain_step, genesis_from_digest, model_digest, normalize_node

CHECKPOINT_FORMAT: Final = 1
_NAME: Final = re.compile(r"^step-(\d+)\.pt$")


@dataclass(frozen=True)
class Checkpoint:
    """One link of the chain: the checkpoint at `step`, its rounded loss and digests (hex)."""

    step: int
    loss: float
    path: Path
    weights_digest: str
    chain_head: str


@dataclass(frozen=True)
class CheckpointState:
    """Everything a checkpoint file holds; `history` ends with this checkpoint's own link.

    `node` is the address (0x, lower case) of the node whose chain this is, as the file records it
    (None: a chain of no node, or a file written before chains were bound to nodes); the chain's
    genesis, not this field, is what `verify_state` checks."""

    spec_digest: str
    step: int
    loss: float
    model: dict[str, torch.Tensor]
    optimizer: dict[str, Any]
    history: list[Checkpoint]
    node: str | None = None


def checkpoint_dir(workdir: Path) -> Path:
    return workdir / "checkpoints"


def checkpoint_path(workdir: Path, step: int) -> Path:
    return checkpoint_dir(workdir) / f"step-{step}.pt"


def list_checkpoints(workdir: Path) -> list[tuple[int, Path]]:
    """(step, path) of every checkpoint file in `workdir`, by ascending step."""
    directory = checkpoint_dir(workdir)
    if not directory.is_dir():
        return []
    found = []
    for entry in directory.iterdir():
        match = _NAME.match(entry.name)
        if match and entry.is_file():
            found.append((int(match.group(1)), entry))
    return sorted(found)


def atomic_save(obj: object, path: Path) -> None:
    """`torch.save` to a temporary file beside `path`, flushed to disk, then renamed over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(obj, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def next_link(
    previous_head: bytes,
    path: Path,
    step: int,
    loss: float,
    weights: Mapping[str, torch.Tensor],
    decimals: int,
) -> Checkpoint:
    """The chain link for a checkpoint of `weights` at `step` with (already rounded) `loss`."""
    weights_digest = model_digest(weights, decimals)
    head = chain_step(previous_head, weights_digest, step, loss)
    return Checkpoint(step=step, loss=loss, path=path, weights_digest=weights_digest.hex(), chain_head=head.hex())


def save_checkpoint(
    link: Checkpoint,
    spec_digest: bytes,
    weights: Mapping[str, torch.Tensor],
    optimizer_state: Mapping[str, Any],
    history: list[Checkpoint],
    *,
    node: str | None,
) -> None:
    """Write the checkpoint file for `link` (the last entry of `history`) atomically: the model's
    `weights` (what the chain commits to) and the optimizer's state, both plain tensors and values,
    and `node`, the node whose chain `history` is (see `digest.chain_genesis`)."""
    payload = {
        "format": CHECKPOINT_FORMAT,
        "spec_digest": spec_digest.hex(),
        "node": normalize_node(node),
        "step": link.step,
        "loss": link.loss,
        "weights_digest": link.weights_digest,
        "chain_head": link.chain_head,
        "model": dict(weights),
        "optimizer": dict(optimizer_state),
        "history": [
            {"step": c.step, "loss": c.loss, "weights_digest": c.weights_digest, "chain_head": c.chain_head}
            for c in history
        ],
    }
    atomic_save(payload, link.path)


def load_checkpoint(path: Path) -> CheckpointState:
    """Read a checkpoint file (tensors and plain values only: `weights_only` loading)."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for unreadable or foreign files
        raise TrainingError(f"cannot read checkpoint {path}: {exc}") from exc
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise TrainingError(f"{path} is not an NNC checkpoint (format {CHECKPOINT_FORMAT})")
    try:
        history = [
            Checkpoint(
                step=int(entry["step"]),
                loss=float(entry["loss"]),
                path=checkpoint_path(path.parent.parent, int(entry["step"])),
                weights_digest=str(entry["weights_digest"]),
                chain_head=str(entry["chain_head"]),
            )
            for entry in payload["history"]
        ]
        return CheckpointState(
            spec_digest=str(payload["spec_digest"]),
            step=int(payload["step"]),
            loss=float(payload["loss"]),
            model=dict(payload["model"]),
            optimizer=dict(payload["optimizer"]),
            history=history,
            node=None if payload.get("node") is None else str(payload["node"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise TrainingError(f"checkpoint {path} is missing or has a malformed field: {exc}") from exc


def verify_state(state: CheckpointState, path: Path, spec_digest: bytes, decimals: int, *,
                 node: str | None) -> None:
    """Check that a loaded checkpoint belongs to this spec and to `node`'s chain (it recomputes from
    `chain_genesis(spec, node)`), and that its chain and weights add up. `node=None`: a chain of no
    node (see `chain_genesis`)."""
    if state.spec_digest != spec_digest.hex():
        raise TrainingError(
            f"checkpoint {path} belongs to spec {state.spec_digest}, not {spec_digest.hex()}: "
            "use a fresh workdir or resume=False"
        )
    expected = normalize_node(node)
    wanted = "no node" if expected is None else f"node {expected}"
    if state.node != expected:
        chained_by = "no node" if state.node is None else f"node {state.node}"
        raise TrainingError(
            f"checkpoint {path}: its hash chain does not start from the genesis of {wanted} (the file says "
            f"{chained_by}); each node's chain starts from SHA-256(spec digest ‖ its address), so a chain "
            "verifies only for the node that trained it: use a fresh workdir or resume=False"
        )
    head = genesis_from_digest(spec_digest, expected)
    for link in state.history:
        head = chain_step(head, bytes.fromhex(link.weights_digest), link.step, link.loss)
        if head.hex() != link.chain_head:
            raise TrainingError(f"checkpoint {path}: hash chain from the genesis of {wanted} breaks at step "
                                f"{link.step}")
    if not state.history or state.history[-1].step != state.step or state.history[-1].loss != state.loss:
        raise TrainingError(f"checkpoint {path}: history does not end at step {state.step}")
    actual = model_digest(state.model, decimals).hex()
    if actual != state.history[-1].weights_digest:
        raise TrainingError(
            f"checkpoint {path}: weights digest {actual} differs from the recorded {state.history[-1].weights_digest}"
        )
