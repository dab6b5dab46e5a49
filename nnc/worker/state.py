"""The worker's persisted state: its position on the chain and every task it has touched.

Saved atomically after every change, so a worker killed at any point restarts where it was:
an assigned task is trained again (resuming from its checkpoints), a submission is checked
on-chain before it is sent again.

A task's phase moves only along `TRANSITIONS` (as the market's status moves only through its
one transition function): a record is created APPLIED or SKIPPED, and a final phase is never
left. Setting the phase a record is in already is always allowed (handlers are safe to run
twice). After a chain reorganisation the record is re-derived from the chain as it is
(`rederive`): the reorganisation may have undone any transition, so any phase may follow.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path

from nnc.chain.events import ChainEvent
from nnc.errors import PhaseTransitionError
from nnc.jsonfile import write_json_atomic


class Phase(StrEnum):
    APPLIED = "applied"
    ASSIGNED = "assigned"
    SUBMITTED = "submitted"
    DONE = "done"  # settled, cancelled, expired, or assigned to others
    SKIPPED = "skipped"  # not applied to (reason recorded)
    FAILED = "failed"  # could not be carried out (reason recorded)


FINAL_PHASES = frozenset({Phase.DONE, Phase.SKIPPED, Phase.FAILED})

INITIAL_PHASES = frozenset({Phase.APPLIED, Phase.SKIPPED})
"""What a newly published task is recorded as: applied for, or not (with the reason)."""

TRANSITIONS: dict[Phase, frozenset[Phase]] = {
    # assigned to this node; assigned to others, dropped as an applicant or the task ended; missed
    Phase.APPLIED: frozenset({Phase.ASSIGNED, Phase.DONE, Phase.FAILED}),
    # result committed; the task ended; given up, missed the deadline or no longer runnable
    Phase.ASSIGNED: frozenset({Phase.SUBMITTED, Phase.DONE, Phase.FAILED}),
    # the task ended (settled, or expired/failed around this node's result); missed the deadline
    Phase.SUBMITTED: frozenset({Phase.DONE, Phase.FAILED}),
    Phase.DONE: frozenset(),
    Phase.SKIPPED: frozenset(),
    Phase.FAILED: frozenset(),
}
"""The phases each phase may move to (besides itself), from every `WorkerState.set` the worker
makes: the handlers of TaskAssigned, TaskStatusChanged, ApplicantDropped and NodeMissed, and
executing, submitting and giving up a task."""


@dataclass
class TaskRecord:
    phase: Phase
    reason: str = ""
    spec_uri: str = ""
    result_digest: str = ""
    result_uri: str = ""
    revealed: bool = False  # the result URI is published on-chain (revealResult)
    rounds: list[int] = field(default_factory=list)  # a parallel task's rounds this node committed (1-based)


@dataclass
class WorkerState:
    path: Path
    last_block: int = -1
    tasks: dict[int, TaskRecord] = field(default_factory=dict)
    checks: list[int] = field(default_factory=list)  # spot-checks this node was picked for
    block_hashes: dict[int, str] = field(default_factory=dict)
    """Hashes of the last few synced heads: where to rewind to after a chain reorganisation."""

    touched: dict[int, int] = field(default_factory=dict)
    """Block of the last event that changed each task's record (what a reorganisation may undo)."""

    # -- the follower's cursor (`nnc.daemon.follower.Cursor`) -----------------------------------

    def heads(self) -> dict[int, str]:
        return self.block_hashes

    def ingest(self, events: Iterable[ChainEvent], up_to_block: int, block_hash: str | None = None) -> int:
        """Notes the task of every market event (handled as `events` is drawn) as touched at its
        block, then moves the position to `up_to_block` and saves; returns the number of events."""
        handled = 0
        for event in events:
            if event.contract == "TaskMarket" and event.task_id is not None:
                self.touched[event.task_id] = event.block_number
            handled += 1
        self.last_block = up_to_block
        if block_hash is not None:
            self.remember_head(up_to_block, block_hash)
        self.save()
        return handled

    def rewind(self, block: int) -> None:
        """Moves the position back to `block` (a remembered head still on the chain, or the block
        before the deployment's first), forgetting the heads after it; saved."""
        self.block_hashes = {b: h for b, h in self.block_hashes.items() if b <= block}
        self.last_block = block
        self.save()

    def remember_head(self, block: int, block_hash: str, keep: int = 32) -> None:
        self.block_hashes[block] = block_hash
        for old in sorted(self.block_hashes)[:-keep]:
            del self.block_hashes[old]
        oldest = min(self.block_hashes)
        self.touched = {task: at for task, at in self.touched.items() if at > oldest}

    @classmethod
    def load(cls, path: Path, start_block: int) -> WorkerState:
        if not path.exists():
            return cls(path=path, last_block=start_block - 1)
        data = json.loads(path.read_text())
        tasks = {int(k): TaskRecord(phase=Phase(v["phase"]), reason=v.get("reason", ""),
                                    spec_uri=v.get("spec_uri", ""),
                                    result_digest=v.get("result_digest", ""),
                                    result_uri=v.get("result_uri", ""),
                                    revealed=bool(v.get("revealed", False)),
                                    rounds=[int(r) for r in v.get("rounds", [])])
                 for k, v in data.get("tasks", {}).items()}
        return cls(path=path, last_block=int(data["last_block"]), tasks=tasks,
                   checks=[int(t) for t in data.get("checks", [])],
                   block_hashes={int(k): str(v) for k, v in data.get("block_hashes", {}).items()},
                   touched={int(k): int(v) for k, v in data.get("touched", {}).items()})

    def save(self) -> None:
        write_json_atomic(self.path, {
            "last_block": self.last_block,
            "tasks": {str(k): {**asdict(v), "phase": v.phase.value} for k, v in self.tasks.items()},
            "checks": self.checks,
            "block_hashes": {str(k): v for k, v in self.block_hashes.items()},
            "touched": {str(k): v for k, v in self.touched.items()},
        })

    def set(self, task_id: int, phase: Phase, reason: str = "", **fields: str | bool) -> TaskRecord:
        """Moves a task's record to `phase` (with `reason` and the given fields), saved; raises
        `PhaseTransitionError` when `TRANSITIONS` does not link its phase to `phase`."""
        record = self.tasks.get(task_id)
        allowed = INITIAL_PHASES if record is None else TRANSITIONS[record.phase] | {record.phase}
        if phase not in allowed:
            raise PhaseTransitionError(task_id, "(none)" if record is None else record.phase.value, phase.value,
                                       ", ".join(sorted(p.value for p in allowed)) or "none: it is final")
        return self._write(task_id, phase, reason, fields)

    def rederive(self, task_id: int, phase: Phase, reason: str = "", **fields: str | bool) -> TaskRecord:
        """Records the phase of a task re-derived from the chain after a reorganisation undid the
        events its record was built from: unchecked, as the reorganisation may undo any step."""
        return self._write(task_id, phase, reason, fields)

    def _write(self, task_id: int, phase: Phase, reason: str, fields: dict[str, str | bool]) -> TaskRecord:
        record = self.tasks.get(task_id) or TaskRecord(phase=phase)
        record.phase = phase
        record.reason = reason
        for key, value in fields.items():
            setattr(record, key, value)
        self.tasks[task_id] = record
        self.save()
        return record

    def note_round(self, task_id: int, round_: int) -> None:
        """Notes that this node committed its delta of a parallel task's round (saved; idempotent)."""
        record = self.tasks[task_id]
        if round_ not in record.rounds:
            record.rounds = sorted([*record.rounds, round_])
            self.save()

    def in_phase(self, phase: Phase) -> list[int]:
        return sorted(t for t, r in self.tasks.items() if r.phase == phase)
