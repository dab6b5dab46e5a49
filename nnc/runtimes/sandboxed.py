"""A requester's program, replayed, evaluated and timed in the sandbox (`nnc.sandbox`): the
parent side, `SandboxedProgramRuntime` (what `runtime_for` gives for a spec with a `program`),
and the child side, `main`, run as `python -m nnc.runtimes.sandboxed <job.json>`.

`load_data` starts a child (a `ProgramSession`) that imports the program and loads the data
once; `replay` and `evaluate` hand it one request each, weights travelling as files in the
session's scratch directory (the child's only writable one). The checks on what comes back
(distances, digests, thresholds) stay with the caller, outside the program's reach. Training is
the worker's sandboxed child (`nnc.worker.sandboxed_training`); the rest of the node never runs
a program in process.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import sys
import tempfile
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from nnc.errors import TrainingError
from nnc.sandbox import (
    BWRAP,
    OUT_OF_MEMORY_EXIT,
    SandboxedProcess,
    SandboxError,
    SandboxLimitError,
    SandboxLimits,
    exit_child,
    isolation,
    python_argv,
)
from nnc.sandbox_child import emit, failure_status, private_caches
from nnc.task import TaskSpec, canonical_json
from nnc.task.timing import StepTiming
from nnc.training.checkpoints import Checkpoint, CheckpointState
from nnc.training.program_package import ProgramFiles
from nnc.training.trainer import TrainingResult

log = logging.getLogger(__name__)


def require_isolation(spec: TaskSpec) -> None:
    """Refuses to run a requester's program without bubblewrap (no network or filesystem isolation)."""
    if spec.program is not None and isolation() != BWRAP:
        raise TrainingError(f"program {spec.program.entry} runs only in an isolating sandbox: install bubblewrap")


def program_limits(limits: SandboxLimits, files: ProgramFiles, *readable: Path | None) -> SandboxLimits:
    """`limits` with the program's files (and `readable`, e.g. a dataset) visible read-only."""
    extra = tuple(p.resolve() for p in (*files.paths(), *readable) if p is not None)
    return dataclasses.replace(limits, read_only=(*limits.read_only, *extra))


class ProgramSession:
    """A sandboxed child holding a program and its loaded data, answering requests one at a time.
    Its time limit covers the whole session. `close` (or garbage collection) ends it."""

    def __init__(self, spec: TaskSpec, files: ProgramFiles, limits: SandboxLimits,
                 dataset_file: Path | None) -> None:
        require_isolation(spec)
        self.spec = spec
        self.scratch = Path(tempfile.mkdtemp(prefix="nnc-program-"))
        job = self.scratch / "job.json"
        job.write_text(json.dumps({"spec": canonical_json(spec).decode(), "files": files.to_json(),
                                   "dataset_file": str(dataset_file) if dataset_file else None,
                                   "workdir": str(self.scratch)}))
        self.process = SandboxedProcess(python_argv(__name__, str(job)), self.scratch,
                                        program_limits(limits, files, dataset_file), interactive=True)
        self.timed_out = threading.Event()
        self.timer = threading.Timer(limits.seconds, self._time_out)
        self.timer.daemon = True
        self.timer.start()
        self._finalizer = weakref.finalize(self, _end, self.process, self.timer, self.scratch)
        self._answer("ready")

    def _time_out(self) -> None:
        self.timed_out.set()
        self.process.kill()

    def close(self) -> None:
        self._finalizer()

    def request(self, op: str, on_event: Callable[[dict[str, Any]], None] | None = None,
                **arguments: Any) -> dict[str, Any]:
        """Sends one request; returns the child's `done` answer (raises its `error` as TrainingError)."""
        try:
            self.process.send(json.dumps({"op": op, **arguments}))
        except OSError:
            pass  # it died: `_answer` says why
        return self._answer("done", on_event)

    def _answer(self, name: str, on_event: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
        stdout = self.process.process.stdout
        assert stdout is not None
        for raw in iter(stdout.readline, b""):
            try:
                event = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(event, dict):
                continue
            if event.get("event") == name:
                return event
            if event.get("event") == "error":
                raise TrainingError(str(event.get("message")))
            if on_event is not None:
                on_event(event)
        status = self.process.process.wait()
        tail = _tail(self.process.log_path)
        self.close()
        limits = self.process.limits
        if self.timed_out.is_set():
            raise SandboxLimitError(f"program {self._entry} exceeded its time limit of {limits.seconds:g} s")
        if status == OUT_OF_MEMORY_EXIT:
            raise SandboxLimitError(f"program {self._entry} exceeded its memory limit of {limits.memory_mb} MB")
        raise SandboxError(f"program {self._entry} failed with exit status {status}: {tail}")

    @property
    def _entry(self) -> str:
        return self.spec.program.entry if self.spec.program else self.spec.name


def _end(process: SandboxedProcess, timer: threading.Timer, scratch: Path) -> None:
    timer.cancel()
    if process.alive:
        process.kill()
    shutil.rmtree(scratch, ignore_errors=True)


def _tail(path: Path, limit: int = 600) -> str:
    try:
        return path.read_text(errors="replace")[-limit:].strip() or "(empty log)"
    except OSError:
        return "(no log)"


class SandboxedProgramRuntime:
    """The `Runtime` of a spec with a requester's program: every call runs it in the sandbox."""

    def __init__(self, files: ProgramFiles, limits: SandboxLimits | None = None) -> None:
        self.files = files
        self.limits = limits or SandboxLimits()

    def train(self, spec: TaskSpec, workdir: Path, *, node: str | None,
              on_checkpoint: Callable[[Checkpoint], None] | None = None,
              on_progress: Callable[[int, float], None] | None = None, resume: bool = True,
              dataset_file: Path | None = None) -> TrainingResult:
        raise TrainingError(f"{spec.name!r} runs a requester's program: it trains in the worker's sandbox "
                            f"(nnc.worker.sandboxed_training.run_training), never in process")

    def load_data(self, spec: TaskSpec, dataset_file: Path | None = None) -> ProgramSession:
        return ProgramSession(spec, self.files, self.limits, dataset_file)

    def _session(self, spec: TaskSpec, data: Any | None) -> tuple[ProgramSession, bool]:
        if isinstance(data, ProgramSession):
            return data, False
        return self.load_data(spec), True

    def replay(self, spec: TaskSpec, start: CheckpointState | None, end_step: int,
               data: Any | None = None) -> dict[str, torch.Tensor]:
        session, own = self._session(spec, data)
        try:
            start_file = None
            if start is not None:
                start_file = session.scratch / "start.pt"
                torch.save({"step": start.step, "model": start.model, "optimizer": start.optimizer}, start_file)
            out = session.scratch / "replayed.pt"
            session.request("replay", start=str(start_file) if start_file else None, end=end_step, out=str(out))
            return _read_weights(out, f"program {session._entry}'s replayed weights")
        finally:
            if own:
                session.close()

    def evaluate(self, spec: TaskSpec, weights: Mapping[str, torch.Tensor], data: Any) -> float:
        session, own = self._session(spec, data)
        try:
            path = session.scratch / "evaluate.pt"
            torch.save(dict(weights), path)
            return float(session.request("evaluate", weights=str(path))["metric"])
        finally:
            if own:
                session.close()

    def time_steps(self, spec: TaskSpec, steps: int, dataset_file: Path | None = None,
                   on_progress: Callable[[int, float], None] | None = None) -> StepTiming:
        session = self.load_data(spec, dataset_file)

        def progress(event: dict[str, Any]) -> None:
            if event.get("event") == "progress" and on_progress is not None:
                on_progress(int(event["step"]), float(event["loss"]))

        try:
            answer = session.request("time", progress, steps=steps)
        finally:
            session.close()
        return StepTiming(int(answer["steps"]), float(answer["seconds_per_step"]), int(answer["parameters"]),
                          float(answer["loss_after"]))


def _read_weights(path: Path, what: str) -> dict[str, torch.Tensor]:
    try:
        weights = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for unreadable files
        raise TrainingError(f"{what} are unreadable: {exc}") from exc
    if not isinstance(weights, dict) or not all(isinstance(v, torch.Tensor) for v in weights.values()):
        raise TrainingError(f"{what} are not a mapping of name to tensor")
    return weights


def _serve(job: dict[str, Any]) -> None:
    """Loads the program and its data, says `ready`, then answers requests until end of input."""
    from nnc.runtimes.user_program import program_runtime
    from nnc.task import parse_spec
    from nnc.training.trainer import evaluate_program, replay_program, time_program_steps

    spec = parse_spec(job["spec"])
    files = ProgramFiles.from_json(job["files"])
    dataset_file = Path(job["dataset_file"]) if job["dataset_file"] else None
    runtime = program_runtime(spec, files)
    assert hasattr(runtime, "make_program")
    program = runtime.make_program(spec)
    data = program.load_data(dataset_file)
    emit({"event": "ready"})
    for line in sys.stdin:
        request = json.loads(line)
        op = request["op"]
        if op == "replay":
            start = None
            if request["start"]:
                raw = torch.load(request["start"], map_location="cpu", weights_only=True)
                start = CheckpointState(spec_digest="", step=int(raw["step"]), loss=0.0, model=raw["model"],
                                        optimizer=raw["optimizer"], history=[])
            weights = replay_program(spec, program, start, int(request["end"]), data)
            torch.save(weights, request["out"])
            emit({"event": "done"})
        elif op == "evaluate":
            weights = torch.load(request["weights"], map_location="cpu", weights_only=True)
            emit({"event": "done", "metric": evaluate_program(spec, program, weights, data)})
        elif op == "time":
            timing = time_program_steps(spec, program, int(request["steps"]), dataset_file,
                                        lambda step, loss: emit({"event": "progress", "step": step, "loss": loss}))
            emit({"event": "done", "steps": timing.steps, "seconds_per_step": timing.seconds_per_step,
                   "parameters": timing.parameters, "loss_after": timing.loss_after})
        else:
            raise TrainingError(f"unknown request {op!r}")


def main(argv: Sequence[str] | None = None) -> int:
    """The child: serves the job's requests; exit 3 when out of memory, 2 after a refusal."""
    args = list(argv or sys.argv[1:])
    job = json.loads(Path(args[0]).read_text())
    private_caches(Path(job["workdir"]))
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    try:
        _serve(job)
    except Exception as exc:  # every job here runs a requester's program
        return failure_status(exc, json.loads(job["spec"]).get("program", {}).get("entry", "?"))
    return 0


if __name__ == "__main__":
    exit_child(main)
