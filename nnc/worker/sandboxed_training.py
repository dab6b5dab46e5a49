"""Training inside the sandbox (`nnc.sandbox`): the parent side, `run_training`, which
returns the same `TrainingResult` as an in-process `train`, and the child side, `main`, run as
`python -m nnc.worker.sandboxed_training <job.json>` inside the sandbox.

The child reports checkpoints and progress as JSON lines; the parent calls the worker's
callbacks with them (posting snapshots needs the network, which the child does not have).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from nnc.errors import NNCError, TrainingError
from nnc.runtimes.sandboxed import program_limits, require_isolation
from nnc.sandbox import SandboxedProcess, SandboxError, SandboxLimits, exit_child, python_argv
from nnc.sandbox_child import emit, failure_status, private_caches, standby_job, warm_imports
from nnc.task import TaskSpec, canonical_json
from nnc.training.checkpoints import Checkpoint
from nnc.training.program_package import ProgramFiles
from nnc.training.trainer import TrainingResult

TRAINING_NICENESS = 10
"""How far the training child lowers its CPU priority (`_lower_priority`), as volunteer-computing clients
run their work: on a host shared with the node's own daemon (snapshots, submissions on time) or
other services (a chain, storage, an oracle), bulk training takes the CPU they leave; alone on a
host it changes nothing. The training's result does not depend on it (deterministic steps)."""


def _lower_priority() -> None:
    """Lowers this child's CPU priority by `TRAINING_NICENESS` (no privilege needed). Where the
    kernel schedules by session ("autogroup", the default on desktop and server distributions) a
    nice value only ranks processes within their session, and the sandbox starts the child in a
    session of its own: each training then weighed as much as the whole of the node's daemon (or
    an oracle, a chain) beside it. So the session's own nice is lowered too."""
    os.nice(TRAINING_NICENESS)
    try:
        Path("/proc/self/autogroup").write_text(f"{TRAINING_NICENESS}\n")
    except OSError:  # no autogroup scheduling, or a /proc it may not write: the nice value above stands
        return


def _checkpoint_json(c: Checkpoint) -> dict[str, Any]:
    return {"step": c.step, "loss": c.loss, "path": str(c.path), "weights_digest": c.weights_digest,
            "chain_head": c.chain_head}


def _checkpoint_of(d: dict[str, Any]) -> Checkpoint:
    return Checkpoint(step=int(d["step"]), loss=float(d["loss"]), path=Path(d["path"]),
                      weights_digest=str(d["weights_digest"]), chain_head=str(d["chain_head"]))


def start_standby(spec: TaskSpec, workdir: Path, limits: SandboxLimits) -> SandboxedProcess:
    """Starts the sandboxed child for `spec` ahead of time: it imports the framework's runtime and
    loads a bundled dataset, then waits; `run_training(..., warm=it)` hands it the job."""
    workdir.mkdir(parents=True, exist_ok=True)
    spec_file = workdir / "standby-spec.json"
    spec_file.write_bytes(canonical_json(spec))
    return SandboxedProcess(python_argv(__name__, "--standby", str(workdir), str(spec_file)), workdir, limits,
                            interactive=True)


def run_training(spec: TaskSpec, workdir: Path, limits: SandboxLimits, *, node: str | None,
                 dataset_file: Path | None = None,
                 on_checkpoint: Callable[[Checkpoint], None] | None = None,
                 on_progress: Callable[[int, float], None] | None = None,
                 warm: SandboxedProcess | None = None, files: ProgramFiles | None = None) -> TrainingResult:
    """Trains `spec` in the sandbox as `node` (whose genesis starts the chain; see `train`),
    resuming from `workdir`'s checkpoints as `train` does: in
    `warm`, a child `start_standby` started for this spec and work directory, if it still runs,
    else in a new one. `files` are the spec's fetched program package and init weights
    (`nnc.training.program_package`), which the child sees read-only; a requester's program runs
    only here, and only with bubblewrap's isolation.

    Raises `TrainingError` for what the training itself refuses (as `train` would),
    `SandboxLimitError` for a broken limit and `SandboxError` for a crash.
    """
    require_isolation(spec)
    files = files or ProgramFiles()
    workdir.mkdir(parents=True, exist_ok=True)
    job = workdir / "job.json"
    job.write_text(json.dumps({"spec": canonical_json(spec).decode(), "workdir": str(workdir), "node": node,
                               "dataset_file": str(dataset_file) if dataset_file else None,
                               "files": files.to_json()}))
    result: dict[str, Any] = {}

    def on_event(event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "checkpoint" and on_checkpoint is not None:
            on_checkpoint(_checkpoint_of(event["checkpoint"]))
        elif kind == "progress" and on_progress is not None:
            on_progress(int(event["step"]), float(event["loss"]))
        elif kind in ("result", "error"):
            result.update(event)

    process = None
    if warm is not None and files.paths():  # started without a view of the files: start afresh
        warm.kill()
    elif warm is not None and warm.alive:
        try:
            warm.send(str(job))
            process = warm
        except OSError:  # it died meanwhile: start afresh
            warm.kill()
    if process is None:
        process = SandboxedProcess(python_argv(__name__, str(job)), workdir,
                                   program_limits(limits, files, dataset_file))
    try:
        process.collect(on_event)
    except SandboxError:
        if result.get("event") == "error":  # the training refused the job, as `train` would
            raise TrainingError(str(result["message"])) from None
        raise
    if result.get("event") != "result":
        raise TrainingError(f"the sandboxed training of {spec.name!r} ended without a result")
    return TrainingResult(
        result_digest=bytes.fromhex(result["result_digest"]), chain_head=bytes.fromhex(result["chain_head"]),
        final_loss=float(result["final_loss"]), metric=float(result["metric"]), accepted=bool(result["accepted"]),
        steps=int(result["steps"]), seconds=float(result["seconds"]), model_path=Path(result["model_path"]),
        checkpoints=[_checkpoint_of(c) for c in result["checkpoints"]], resumed_from=int(result["resumed_from"]))


def _import_dispatch() -> None:
    import nnc.runtimes.dispatch  # noqa: F401  (the import is the point)


def _warm_up(spec_file: Path) -> int:
    """Imports what training `spec_file` needs and, if its data are bundled, trains two steps in
    memory (nothing is written; the real run starts from the seed again, so its result is the
    same): imports, kernels, thread pools and compiled code stay warm. Returns an exit status,
    0 when ready."""

    status = warm_imports(_import_dispatch)
    if status:
        return status
    from nnc.runtimes import runtime_for
    from nnc.task import load_spec

    try:
        spec = load_spec(spec_file)
        if spec.program is not None or spec.starts_from_weights:  # its files come with the job
            return 0
        if spec.dataset.uri is None:  # a couple of real steps: kernels, thread pools, compilation
            runtime_for(spec).time_steps(spec, 2)
        else:
            runtime_for(spec)
    except (NNCError, MemoryError, RuntimeError):  # the real run reports it
        pass
    return 0


def _import_runtimes() -> None:
    import nnc.runtimes  # noqa: F401  (the import is the point)
    import nnc.runtimes.user_program  # noqa: F401


def main(argv: Sequence[str] | None = None) -> int:
    """The child: trains the job and reports on stdout; exit 3 when out of memory, 2 on a refusal.

    `--standby WORKDIR SPEC_FILE`: started ahead of its task, it warms up, says `ready` and waits
    for the job file's path on stdin (end of input: discarded, exit 0)."""
    _lower_priority()
    args = list(argv or sys.argv[1:])
    if args and args[0] == "--standby":
        private_caches(Path(args[1]))
    job_args = standby_job(args, lambda: _warm_up(Path(args[2])))
    if isinstance(job_args, int):
        return job_args
    job = json.loads(Path(job_args[0]).read_text())
    private_caches(Path(job["workdir"]))
    status = warm_imports(_import_runtimes)  # a memory limit below what they need fails while mapping them
    if status:
        return status
    from nnc.runtimes import runtime_for
    from nnc.runtimes.user_program import program_runtime
    from nnc.task import parse_spec
    from nnc.training.digest import normalize_node

    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    spec = parse_spec(job["spec"])
    try:
        dataset_file = Path(job["dataset_file"]) if job["dataset_file"] else None
        files = ProgramFiles.from_json(job.get("files"))
        runtime = program_runtime(spec, files) if spec.program is not None else runtime_for(spec, files)
        result = runtime.train(spec, Path(job["workdir"]), node=normalize_node(job["node"]), dataset_file=dataset_file,
                               on_checkpoint=lambda c: emit({"event": "checkpoint", "checkpoint": _checkpoint_json(c)}),
                               on_progress=lambda step, loss: emit({"event": "progress", "step": step, "loss": loss}))
    except Exception as exc:
        return failure_status(exc, spec.program.entry if spec.program is not None else None, (TrainingError,))
    emit({"event": "result", "result_digest": result.result_digest.hex(), "chain_head": result.chain_head.hex(),
          "final_loss": result.final_loss, "metric": result.metric, "accepted": result.accepted,
          "steps": result.steps, "seconds": result.seconds, "model_path": str(result.model_path),
          "checkpoints": [_checkpoint_json(c) for c in result.checkpoints], "resumed_from": result.resumed_from})
    return 0


if __name__ == "__main__":
    exit_child(main)
