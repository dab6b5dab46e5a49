"""The sandboxed child's side of the protocol its parent reads (`nnc.sandbox.SandboxedProcess`):
events as JSON lines on stdout, caches kept inside the work directory, the standby start, and
what a failure's exit status is. Shared by the children that train (`nnc.worker.sandboxed_training`),
serve a program (`nnc.runtimes.sandboxed`) and run inference (`nnc.inference.sandboxed`).

Exit statuses: 0 done, `REFUSED_EXIT` (2) the job failed and said why in an `error` event,
`OUT_OF_MEMORY_EXIT` (3) the memory limit was hit (no event: there may be no memory to write it).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from nnc.errors import NNCError
from nnc.sandbox import OUT_OF_MEMORY_EXIT

REFUSED_EXIT: Final = 2
_OUT_OF_MEMORY_MARKS: Final = ("can't allocate memory", "allocate memory", "out of memory", "failed to map segment")


def emit(event: dict[str, Any]) -> None:
    """Writes one event for the parent: a JSON line on stdout, flushed."""
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def private_caches(workdir: Path) -> None:
    """Frameworks write caches under $HOME, read-only in the sandbox: point them into the work
    directory, and keep the Hugging Face libraries offline (task code never downloads weights)."""
    cache = workdir / ".cache"
    os.environ["XDG_CACHE_HOME"] = str(cache)
    os.environ["HF_HOME"] = str(cache / "huggingface")
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["MPLCONFIGDIR"] = str(cache / "matplotlib")


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether `exc` is the memory limit biting: a MemoryError, or the messages torch and the
    dynamic loader give when an allocation or a library mapping fails under RLIMIT_AS/DATA."""
    if isinstance(exc, MemoryError):
        return True
    text = str(exc).lower()
    return any(mark in text for mark in _OUT_OF_MEMORY_MARKS)


def standby_job(args: list[str], warm_up: Callable[[], int]) -> list[str] | int:
    """The standby start: when `args` begin with `--standby`, warms up (`warm_up` returns an exit
    status, 0 when ready), says `ready` and waits for the job file's path on stdin. Returns the
    job's arguments, or the exit status to end with (the warm-up's, or 0 when stdin closed with
    no job: the parent discarded the standby child)."""
    if not args or args[0] != "--standby":
        return args
    status = warm_up()
    if status:
        return status
    emit({"event": "ready"})
    line = sys.stdin.readline().strip()
    return [line] if line else 0


def warm_imports(load: Callable[[], None]) -> int:
    """Runs `load` (imports, a first tiny computation) and returns the exit status a warm-up ends
    with: 0, or `OUT_OF_MEMORY_EXIT` when the memory limit is below what the libraries need."""
    try:
        load()
    except (MemoryError, ImportError) as exc:
        if is_out_of_memory(exc):
            return OUT_OF_MEMORY_EXIT
        raise
    return 0


def failure_status(exc: Exception, program_entry: str | None,
                   reported: tuple[type[Exception], ...] = (NNCError,)) -> int:
    """The exit status for a job that raised `exc`, after emitting its `error` event:
    `OUT_OF_MEMORY_EXIT` for the memory limit (no event); `REFUSED_EXIT` for an error of the
    `reported` kinds (its message) or, when the job runs a requester's program (`program_entry`),
    any other exception, named as the program's (the loop is ours: what fails under it is the
    program). Any other exception of a built-in job is a bug: it is raised again."""
    if is_out_of_memory(exc):
        return OUT_OF_MEMORY_EXIT
    text = str(exc)
    if not isinstance(exc, reported):
        if program_entry is None:
            raise exc
        text = f"program {program_entry}: {type(exc).__name__}: {text}"
    emit({"event": "error", "message": text})
    return REFUSED_EXIT
