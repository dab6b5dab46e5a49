"""Checkpoints written behind the training loop: the loop hands over a snapshot and goes on.

A checkpoint costs a copy of the weights and optimizer state, their rounded digest, a link of
the hash chain and a `torch.save` flushed to disk. On a GPU the step itself is fast and the rest
is CPU and disk work, so done inline it was most of the program overhead (issue 14:
`gpu_overhead_ratio`). `CheckpointWriter` takes only the snapshot (a copy, so training may go
on changing its tensors) in the loop; one background thread links, digests and saves the
checkpoints in step order, each before the next.

What does not change: the files, the chain and its digests are exactly the inline ones
(`link_checkpoint`, shared with `trainer.record_checkpoint`), and `on_checkpoint` is still called
on the loop's own thread, in order (the sandboxed child's event stream and the worker's snapshot
poster are not thread-safe): each checkpoint's at the next `submit`, the last at `close`. One
checkpoint is written at a time and the next is queued only once it is written and delivered, so
memory grows by one copy of the weights and optimizer state, and a crash leaves on disk what
inline writing would have left (or the one checkpoint in flight: resumption starts from the
last file on disk, and training is deterministic).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import torch

from nnc.errors import TrainingError
from nnc.task import TaskSpec, spec_digest
from nnc.training.checkpoints import Checkpoint, checkpoint_path, next_link, save_checkpoint
from nnc.training.device import cpu_weights, on_cpu
from nnc.training.digest import chain_genesis, round_loss

logger = logging.getLogger(__name__)

_Snapshot = tuple[int, float, dict[str, torch.Tensor], dict[str, Any]]


def link_checkpoint(spec: TaskSpec, workdir: Path, history: list[Checkpoint], step: int, raw_loss: float,
                    weights: Mapping[str, torch.Tensor], optimizer_state: Mapping[str, Any], *,
                    node: str | None) -> list[Checkpoint]:
    """Extends `node`'s chain by the checkpoint of `step` (loss rounded) and writes its file;
    returns the chain so far. `weights` and `optimizer_state` are CPU tensors."""
    decimals = spec.determinism.digest_decimals
    head = bytes.fromhex(history[-1].chain_head) if history else chain_genesis(spec, node)
    link = next_link(head, checkpoint_path(workdir, step), step, round_loss(raw_loss, decimals), weights, decimals)
    history = [*history, link]
    save_checkpoint(link, spec_digest(spec), weights, optimizer_state, history, node=node)
    logger.info("%s: checkpoint step %d loss %.6f chain %s", spec.name, step, link.loss, link.chain_head[:16])
    return history


class CheckpointWriter:
    """Writes one training run's checkpoints in order on a background thread; see the module.

    Use as a context manager around the loop: `submit` at each checkpoint step, `close` after the
    last one (it returns the whole chain). Leaving the block on an exception still writes what
    was queued (valid checkpoints a resumption may start from), then stops the thread. A failed
    write (a full disk) is raised by the next `submit` or by `close`, as the inline write was."""

    def __init__(self, spec: TaskSpec, workdir: Path, history: list[Checkpoint],
                 on_checkpoint: Callable[[Checkpoint], None] | None, *, node: str | None) -> None:
        self._spec, self._workdir, self._node = spec, workdir, node
        self._on_checkpoint = on_checkpoint
        self._history = list(history)
        self._delivered = len(history)
        self._pending: queue.Queue[_Snapshot | None] = queue.Queue()
        self._lock = threading.Lock()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"checkpoints-{spec.name}", daemon=True)
        self._thread.start()

    def submit(self, step: int, raw_loss: float, weights: Mapping[str, torch.Tensor],
               optimizer_state: Mapping[str, Any]) -> None:
        """Queues the checkpoint of `step`, copying `weights` and `optimizer_state` to the CPU
        now, once the previous checkpoint is written and delivered (it waits for that write only
        when the steps between took less time than the write). So `on_checkpoint` of one
        checkpoint always runs before the next is queued: a callback that raises (a crash) leaves
        exactly the checkpoints delivered so far on disk, as inline writing did."""
        self._pending.join()
        self._raise_failure()
        self._deliver()
        snapshot = (step, raw_loss, cpu_weights(weights, copy=True), on_cpu(dict(optimizer_state), copy=True))
        self._pending.put(snapshot)

    def close(self) -> list[Checkpoint]:
        """Waits for every queued checkpoint, delivers them, and returns the chain."""
        self._stop()
        self._raise_failure()
        self._deliver()
        return list(self._history)

    def __enter__(self) -> CheckpointWriter:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._thread.is_alive():
            self._stop()

    def _stop(self) -> None:
        self._pending.put(None)
        self._thread.join()

    def _run(self) -> None:
        while (snapshot := self._pending.get()) is not None:
            try:
                if self._failure is None:  # after a failure: drain, so that `submit` never blocks
                    self._write(*snapshot)
            finally:
                self._pending.task_done()
        self._pending.task_done()

    def _write(self, step: int, raw_loss: float, weights: dict[str, torch.Tensor],
               optimizer_state: dict[str, Any]) -> None:
        try:
            history = link_checkpoint(self._spec, self._workdir, self._history, step, raw_loss, weights,
                                      optimizer_state, node=self._node)
        except BaseException as exc:  # re-raised on the loop's thread
            self._failure = exc
            return
        with self._lock:
            self._history = history

    def _deliver(self) -> None:
        with self._lock:
            finished = self._history[self._delivered:]
            self._delivered = len(self._history)
        if self._on_checkpoint is not None:
            for link in finished:
                self._on_checkpoint(link)

    def _raise_failure(self) -> None:
        failure = self._failure
        if failure is not None:
            if isinstance(failure, TrainingError | OSError):
                raise failure
            raise TrainingError(f"writing a checkpoint failed: {failure}") from failure
