"""The worker's persisted state: its position on the chain and every task it has touched.

Saved atomically after every change, so a worker killed at any point restarts where it was:
an assigned task is trained again (resuming from its checkpoints), a submission is checked
on-chain before it is sent again.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path

from nnc.jsonfile import write_json_atomic


class Phase(StrEnum):
    APPLIED = "applied"
    ASSIGNED = "assigned"
    SUBMITTED = "submitted"
    DONE = "done"  # settled, cancelled, expired, or assigned to others
    SKIPPED = "skipped"  # not applied to (reason recorded)
    FAILED = "failed"  # could not be carried out (reason recorded)


@dataclass
class TaskRecord:
    phase: Phase
    reason: str = ""
    spec_uri: str = ""
    result_digest: str = ""
    result_uri: str = ""
    salt: str = ""  # of the result commitment (decimal), to open it in a dispute
    revealed: bool = False  # the result URI is published on-chain (revealResult)


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
                                    result_uri=v.get("result_uri", ""), salt=v.get("salt", ""),
                                    revealed=bool(v.get("revealed", False)))
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
        record = self.tasks.get(task_id) or TaskRecord(phase=phase)
        record.phase = phase
        record.reason = reason
        for key, value in fields.items():
            setattr(record, key, value)
        self.tasks[task_id] = record
        self.save()
        return record

    def in_phase(self, phase: Phase) -> list[int]:
        return sorted(t for t, r in self.tasks.items() if r.phase == phase)
