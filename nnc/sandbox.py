"""Sandboxed execution of task code: a separate process with no network, a read-only view of
everything but its work directory, a memory limit, a time limit and pinned CPU cores. The worker
trains in it (`nnc.worker.sandboxed_training`); a requester's own program also replays and
evaluates in it (`nnc.runtimes.sandboxed`), wherever it runs: verifier, oracle, dry run.

With Debian's bubblewrap (`bwrap`, installed by `make setup`) the process runs in new network,
PID and IPC namespaces with the root filesystem mounted read-only, a private /tmp and only the
task's work directory writable. Without bubblewrap the fallback is weaker and says so in the
log: the same memory, time and CPU limits (rlimits, a timer, sched_setaffinity), but no network
or filesystem isolation; operators who run untrusted tasks must install bubblewrap.

The child speaks JSON lines on stdout (`{"event": ...}`), which the parent turns into callbacks;
its log goes to `<workdir>/sandbox.log`. Exit status 3 means the task ran out of memory.
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, NoReturn

from nnc.errors import NNCError, ResourceLimitError
from nnc.paths import REPO_ROOT

log = logging.getLogger(__name__)

OUT_OF_MEMORY_EXIT: Final = 3
BWRAP: Final = "bwrap"


class SandboxError(NNCError):
    """Task code failed inside the sandbox: it broke a limit, crashed or said something malformed."""


class SandboxLimitError(SandboxError, ResourceLimitError):
    """Task code broke the sandbox's memory or time limit and was stopped."""


@dataclass(frozen=True)
class SandboxLimits:
    """What task code may use. `cpus`: the cores it is pinned to (None: all of this process's)."""

    memory_mb: int = 4096
    seconds: float = 3600.0
    cpus: tuple[int, ...] | None = None
    extra_writable: tuple[Path, ...] = field(default_factory=tuple)
    read_only: tuple[Path, ...] = field(default_factory=tuple)
    """Paths the child must see, read-only, even under the private /tmp (a program's package)."""
    gpu: bool = False
    """Let the child use this machine's NVIDIA GPUs: their device files are bound into the sandbox,
    and the memory limit counts the data segment and private writable mappings (RLIMIT_DATA)
    instead of the address space (RLIMIT_AS), which the CUDA driver reserves by the terabyte
    without using it. The network and the filesystem stay closed."""


def isolation() -> str:
    """`bwrap` when bubblewrap is installed, else `rlimits` (limits without isolation)."""
    return BWRAP if shutil.which(BWRAP) else "rlimits"


def _runtime_paths_under_tmp() -> list[Path]:
    """What the child needs that the private /tmp would hide: the interpreter's prefixes, the
    package's checkout and import paths, when they live under /tmp (a checkout or CI clone there)."""
    tmp = Path("/tmp")
    candidates = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix), REPO_ROOT,
                  *(Path(p) for p in sys.path if p)}
    found = sorted(p.resolve() for p in candidates if p.is_absolute() and p.exists())
    under = [p for p in found if p != tmp and tmp in p.parents]
    return [p for p in under if not any(q in p.parents for q in under)]  # outermost ones only


def gpu_device_files(dev: Path = Path("/dev")) -> list[Path]:
    """The NVIDIA driver's device files on this machine (`nvidiactl`, `nvidia-uvm`, one per GPU,
    the `nvidia-caps` folder); empty without the driver."""
    return sorted(dev.glob("nvidia*"))


def _bwrap_prefix(workdir: Path, writable: Sequence[Path], read_only: Sequence[Path] = (),
                  devices: Sequence[Path] = ()) -> list[str]:
    command = [BWRAP, "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
               "--unshare-net", "--unshare-pid", "--unshare-ipc", "--die-with-parent", "--new-session"]
    for device in devices:  # after --dev: bound into the sandbox's own, otherwise empty, /dev
        command += ["--dev-bind", str(device), str(device)]
    for path in (*_runtime_paths_under_tmp(), *read_only):
        command += ["--ro-bind", str(path), str(path)]
    for path in (workdir, *writable):
        command += ["--bind", str(path), str(path)]
    return [*command, "--chdir", str(workdir), "--"]


_PR_SET_PDEATHSIG: Final = 1


def die_with_parent() -> None:
    """Asks the kernel to kill this process when its parent (the worker, the oracle) dies, even by
    SIGKILL, so that a restarted daemon never races an orphaned training or evaluation. (The
    parent is the thread that started the process: start it from a thread that lives as long.)"""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def _limit(limits: SandboxLimits) -> Callable[[], None]:
    def apply() -> None:  # runs in the child between fork and exec
        die_with_parent()
        size = limits.memory_mb << 20
        memory = resource.RLIMIT_DATA if limits.gpu else resource.RLIMIT_AS
        resource.setrlimit(memory, (size, size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if limits.cpus:
            os.sched_setaffinity(0, limits.cpus)

    return apply


def run_sandboxed(argv: Sequence[str], workdir: Path, limits: SandboxLimits,
                  on_event: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """Runs `argv` in the sandbox with `workdir` as its writable directory and current directory.

    Every JSON line the child prints is passed to `on_event` and returned. Raises
    `SandboxLimitError` naming the limit it broke (memory, time), else `SandboxError` with the
    child's exit status and the end of its log.
    """
    return SandboxedProcess(argv, workdir, limits).collect(on_event)


class SandboxedProcess:
    """A child started in the sandbox. With `interactive` its stdin stays open, so that a child
    started ahead of time (imports done, warm) can be handed its work later with `send`; the
    time limit runs from `collect`, not from the start."""

    def __init__(self, argv: Sequence[str], workdir: Path, limits: SandboxLimits, *,
                 interactive: bool = False) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        mode = isolation()
        if mode != BWRAP:
            log.warning("bubblewrap not found: task code runs with limits but without network or filesystem "
                        "isolation (install the bubblewrap package)")
        devices = gpu_device_files() if limits.gpu else []
        command = [*(_bwrap_prefix(workdir, limits.extra_writable, limits.read_only, devices)
                     if mode == BWRAP else []), *argv]
        self.limits = limits
        self.log_path = workdir / "sandbox.log"
        with open(self.log_path, "ab") as log_file:
            self.process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=log_file,
                stdin=subprocess.PIPE if interactive else subprocess.DEVNULL,
                cwd=workdir, preexec_fn=_limit(limits), start_new_session=True)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def send(self, line: str) -> None:
        """Writes one line to the child's stdin (an interactive child that is still running)."""
        if self.process.stdin is None:
            raise SandboxError("this sandboxed process was not started interactive")
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()

    def kill(self) -> None:
        _kill(self.process)
        self.process.wait()

    def wait_for(self, name: str) -> bool:
        """Reads the child's output up to its event `name` (False if it exited first). Events read
        here are not seen by `collect`; use it for a child's `ready` before handing it work."""
        assert self.process.stdout is not None
        while raw := self.process.stdout.readline():
            event = _parse(raw)
            if event is not None and event.get("event") == name:
                return True
        return False

    def collect(self, on_event: Callable[[dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
        """Reads the child's JSON lines until it exits, under the time limit; see `run_sandboxed`."""
        events: list[dict[str, Any]] = []
        timed_out = threading.Event()

        def stop_on_time() -> None:
            timed_out.set()
            _kill(self.process)

        timer = threading.Timer(self.limits.seconds, stop_on_time)
        timer.start()
        try:
            assert self.process.stdout is not None
            for raw in self.process.stdout:
                event = _parse(raw)
                if event is None:
                    continue
                events.append(event)
                if on_event is not None:
                    on_event(event)
            status = self.process.wait()
        except BaseException:
            _kill(self.process)
            raise
        finally:
            timer.cancel()
            if self.process.stdin is not None:
                self.process.stdin.close()
        if status == 0:
            return events
        if timed_out.is_set():
            raise SandboxLimitError(f"task code exceeded its time limit of {self.limits.seconds:g} s and was stopped")
        if status == OUT_OF_MEMORY_EXIT:
            raise SandboxLimitError(f"task code exceeded its memory limit of {self.limits.memory_mb} MB")
        raise SandboxError(f"task code failed with exit status {status}: {_tail(self.log_path)}")


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Kills the child's whole process group (bwrap, the task and anything it started)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _parse(raw: bytes) -> dict[str, Any] | None:
    line = raw.strip()
    if not line:
        return None
    try:
        event = json.loads(line)
    except ValueError:
        log.debug("sandbox: non-JSON output: %r", line[:200])
        return None
    return event if isinstance(event, dict) else None


def _tail(path: Path, limit: int = 600) -> str:
    try:
        return path.read_text(errors="replace")[-limit:].strip() or "(empty log)"
    except OSError:
        return "(no log)"


def python_argv(module: str, *args: str) -> list[str]:
    """The command that runs `python -m module args` with this interpreter."""
    return [sys.executable, "-m", module, *args]


def exit_child(main: Callable[[], int]) -> NoReturn:
    """Runs a sandboxed child's `main` and exits with its status, skipping the interpreter's
    teardown (about a second with torch loaded): every file the job wrote is synced to disk
    already, and the parent waits for this exit."""
    status = main()
    sys.stdout.flush()
    logging.shutdown()
    os._exit(status)
