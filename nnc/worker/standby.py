"""Sandboxed training children started ahead of their tasks, so that an assigned task starts
training at once instead of paying a process start and the framework's imports (several seconds).

The worker prepares one when it applies for a task (its spec and work directory are known then)
and takes it when the task is assigned; one for a task that went to others is discarded. At most
`capacity` wait at a time (each holds the framework in memory); the oldest makes way. A child
that died meanwhile is simply not used: the training starts a fresh one.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from pathlib import Path

from nnc.errors import NNCError
from nnc.inference.sandboxed import start_standby as start_inference_standby
from nnc.sandbox import SandboxedProcess, SandboxLimits
from nnc.task import TaskSpec
from nnc.worker.sandboxed_training import start_standby

log = logging.getLogger(__name__)


class Standby:
    """Warm sandboxed children by task id."""

    def __init__(self, capacity: int = 2) -> None:
        self.capacity = capacity
        self._waiting: OrderedDict[int, SandboxedProcess] = OrderedDict()

    def prepare(self, task_id: int, spec: TaskSpec, workdir: Path, limits: SandboxLimits) -> None:
        """Starts a child for `task_id` unless one waits already (never fatal: it is an optimisation);
        an inference task's (`nnc.inference.sandboxed`) under `limits` that show its fetched files."""
        if self.capacity <= 0 or task_id in self._waiting:
            return
        while len(self._waiting) >= self.capacity:
            self.discard(next(iter(self._waiting)))
        try:
            self._waiting[task_id] = (start_inference_standby(workdir, limits) if spec.inference is not None
                                      else start_standby(spec, workdir, limits))
        except (NNCError, OSError) as exc:
            log.warning("task %d: could not start a standby sandbox: %s", task_id, exc)

    def take(self, task_id: int) -> SandboxedProcess | None:
        """The child waiting for `task_id`, if it still runs (it is no longer held here)."""
        process = self._waiting.pop(task_id, None)
        if process is not None and not process.alive:
            return None
        return process

    def discard(self, task_id: int) -> None:
        process = self._waiting.pop(task_id, None)
        if process is not None:
            process.kill()

    def close(self) -> None:
        for task_id in list(self._waiting):
            self.discard(task_id)

    def __contains__(self, task_id: int) -> bool:
        return task_id in self._waiting
