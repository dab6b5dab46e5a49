"""Inference inside the sandbox (`nnc.sandbox`), as the worker trains there: the parent side,
`run_sandboxed` (every shard, for the worker) and `rerun_sandboxed` (chosen shards, for a
verifier), and the child side, `main`, run as `python -m nnc.inference.sandboxed <job.json>`.

As for training, the worker may start the child when it applies (`start_standby`, with the
task's weights and inputs already fetched and visible): it imports torch and the runner and
waits, so an assigned task pays no process start and no imports (`run_sandboxed(warm=...)`).

The child has no network and writes only its work directory; it reports each finished shard and
its result as JSON lines. A requester's program runs only here, and only with bubblewrap.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from nnc.errors import TrainingError
from nnc.inference.outputs import shard_key
from nnc.inference.runner import InferenceResult
from nnc.runtimes.sandboxed import program_limits, require_isolation
from nnc.sandbox import SandboxedProcess, SandboxError, SandboxLimits, exit_child, python_argv
from nnc.sandbox_child import emit, failure_status, private_caches, standby_job, warm_imports
from nnc.task import TaskSpec, canonical_json
from nnc.training.program_package import ProgramFiles

log = logging.getLogger(__name__)

RERUN_FILE = "rerun.npz"


def _job(spec: TaskSpec, workdir: Path, dataset_file: Path | None, files: ProgramFiles,
         shards: Sequence[int] | None) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    job = workdir / "inference-job.json"
    job.write_text(json.dumps({"spec": canonical_json(spec).decode(), "workdir": str(workdir),
                               "dataset_file": str(dataset_file) if dataset_file else None,
                               "files": files.to_json(), "shards": list(shards) if shards is not None else None}))
    return job


def start_standby(workdir: Path, limits: SandboxLimits) -> SandboxedProcess:
    """A child started ahead of its job: it imports what inference needs, says `ready` and waits
    for the job (`run_sandboxed(..., warm=it)`). `limits` must already show the task's weights and
    inputs (`program_limits`): a child sees only the paths bound when it started."""
    return SandboxedProcess(python_argv(__name__, "--standby", str(workdir)), workdir, limits, interactive=True)


def _visible(warm: SandboxedProcess, files: ProgramFiles, dataset_file: Path | None) -> bool:
    """Whether `warm` was started with the job's files bound (or needs none)."""
    needed = {p.resolve() for p in (*files.paths(), dataset_file) if p is not None}
    return needed <= set(warm.limits.read_only)


def _collect(spec: TaskSpec, workdir: Path, limits: SandboxLimits, dataset_file: Path | None, files: ProgramFiles,
             shards: Sequence[int] | None, on_shard: Callable[[int, bytes], None] | None,
             warm: SandboxedProcess | None = None) -> dict[str, Any]:
    require_isolation(spec)
    job = _job(spec, workdir, dataset_file, files, shards)
    result: dict[str, Any] = {}

    def on_event(event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "shard" and on_shard is not None:
            on_shard(int(event["shard"]), bytes.fromhex(event["digest"]))
        elif kind in ("result", "error"):
            result.update(event)

    process = None
    if warm is not None and warm.alive and spec.program is None and _visible(warm, files, dataset_file):
        try:
            warm.send(str(job))
            process = warm
            log.debug("inference %s: job handed to its standby sandbox", spec.name)
        except OSError:  # it died meanwhile: start afresh
            warm.kill()
    elif warm is not None:
        log.debug("inference %s: its standby sandbox cannot run the job (gone, or without the job's files)",
                  spec.name)
        warm.kill()
    if process is None:
        process = SandboxedProcess(python_argv(__name__, str(job)), workdir,
                                   program_limits(limits, files, dataset_file))
    try:
        process.collect(on_event)
    except SandboxError:
        if result.get("event") == "error":
            raise TrainingError(str(result["message"])) from None
        raise
    if result.get("event") != "result":
        raise TrainingError(f"the sandboxed inference of {spec.name!r} ended without a result")
    return result


def run_sandboxed(spec: TaskSpec, workdir: Path, limits: SandboxLimits, *, dataset_file: Path | None = None,
                  files: ProgramFiles | None = None, on_shard: Callable[[int, bytes], None] | None = None,
                  warm: SandboxedProcess | None = None) -> InferenceResult:
    """`nnc.inference.run_inference` in the sandbox under `limits`: in `warm` (a `start_standby`
    child that still runs and sees the job's files; never for a requester's program, whose
    imports are its own), else in a new child. Raises `TrainingError` for what the run refuses,
    `SandboxLimitError` for a broken limit and `SandboxError` for a crash."""
    result = _collect(spec, workdir, limits, dataset_file, files or ProgramFiles(), None, on_shard, warm)
    return InferenceResult(bytes.fromhex(result["result_digest"]),
                           tuple(bytes.fromhex(d) for d in result["shard_digests"]), Path(result["outputs_path"]),
                           float(result["seconds"]), int(result["resumed_shards"]))


def rerun_sandboxed(spec: TaskSpec, workdir: Path, limits: SandboxLimits, shards: Sequence[int], *,
                    dataset_file: Path | None = None,
                    files: ProgramFiles | None = None) -> dict[int, npt.NDArray[np.generic]]:
    """The outputs of `shards` alone, re-run in the sandbox (a verifier's spot-check)."""
    _collect(spec, workdir, limits, dataset_file, files or ProgramFiles(), shards, None)
    with np.load(workdir / RERUN_FILE, allow_pickle=False) as archive:
        return {shard: archive[shard_key(shard)] for shard in shards}


def _serve(job: dict[str, Any]) -> None:
    from nnc.inference.runner import load_model, run_inference, run_shards
    from nnc.task import parse_spec

    spec = parse_spec(job["spec"])
    workdir = Path(job["workdir"])
    dataset_file = Path(job["dataset_file"]) if job["dataset_file"] else None
    files = ProgramFiles.from_json(job["files"])
    if job["shards"] is not None:
        model = load_model(spec, files, dataset_file)
        outputs = dict(run_shards(spec, model, [int(s) for s in job["shards"]]))
        with (workdir / RERUN_FILE).open("wb") as fh:
            np.savez(fh, **{shard_key(s): a for s, a in outputs.items()})  # type: ignore[arg-type]
        emit({"event": "result"})
        return
    result = run_inference(spec, workdir, dataset_file=dataset_file, files=files,
                           on_shard=lambda shard, digest: emit({"event": "shard", "shard": shard,
                                                                 "digest": digest.hex()}))
    emit({"event": "result", "result_digest": result.result_digest.hex(),
           "shard_digests": [d.hex() for d in result.shard_digests], "outputs_path": str(result.outputs_path),
           "seconds": result.seconds, "resumed_shards": result.resumed_shards})


def _warm_up() -> int:
    """Imports what a built-in model's inference needs and runs one tiny forward pass under the
    determinism settings (whose first use imports torch's compiler stack: about 2 s), so thread
    pools and the allocator are up. Returns an exit status, 0 when ready."""

    def load() -> None:
        import safetensors.torch  # noqa: F401  (the import is the point)
        import torch

        import nnc.runtimes.classifier  # noqa: F401
        from nnc.training.trainer import deterministic_torch

        with deterministic_torch(1), torch.no_grad():
            torch.nn.Linear(8, 8)(torch.zeros(2, 8))

    return warm_imports(load)


def main(argv: Sequence[str] | None = None) -> int:
    """The child: runs the job and reports on stdout; exit 3 when out of memory, 2 on a refusal.

    `--standby WORKDIR`: started ahead of its task, it warms up, says `ready` and waits for the
    job file's path on stdin (end of input: discarded, exit 0)."""
    args = standby_job(list(argv or sys.argv[1:]), _warm_up)
    if isinstance(args, int):
        return args
    job = json.loads(Path(args[0]).read_text())
    private_caches(Path(job["workdir"]))  # $HOME is read-only in the sandbox; nothing is downloaded
    logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    try:
        _serve(job)
    except Exception as exc:
        program = json.loads(job["spec"]).get("program")
        return failure_status(exc, program.get("entry", "?") if program else None)
    return 0


if __name__ == "__main__":
    exit_child(main)
