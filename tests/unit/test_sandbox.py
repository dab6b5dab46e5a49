"""The sandbox: no network, read-only outside the work directory, memory and time limits, pinned
cores, and training inside it gives the digest of training outside it."""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
from pathlib import Path

import pytest

from nnc.errors import TrainingError
from nnc.paths import REPO_ROOT
from nnc.runtimes.dispatch import train
from nnc.sandbox import (
    SandboxError,
    SandboxLimitError,
    SandboxLimits,
    _bwrap_prefix,
    gpu_device_files,
    isolation,
    run_sandboxed,
)
from nnc.task import load_spec
from nnc.worker.sandboxed_training import run_training
from tests.nodes import NODE

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny-spec.json"
LIMITS = SandboxLimits(memory_mb=2048, seconds=120)
needs_bwrap = pytest.mark.skipif(isolation() != "bwrap", reason="bubblewrap (installed by make setup) is missing")


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def report(code: str) -> str:
    """Python that runs `code` and prints {"event": "ok"} or {"event": "refused", "error": ...}."""
    return ("import json\ntry:\n" + "".join(f"    {line}\n" for line in code.splitlines()) +
            "    print(json.dumps({'event': 'ok'}))\nexcept OSError as exc:\n"
            "    print(json.dumps({'event': 'refused', 'error': str(exc)}))\n")


@pytest.fixture
def host_server() -> tuple[str, int]:
    """A TCP server on the host's loopback that accepts connections (outside any sandbox)."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                server.accept()[0].close()
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield "127.0.0.1", port
    stop.set()
    thread.join()
    server.close()


@needs_bwrap
def test_task_code_cannot_reach_the_network(tmp_path: Path, host_server: tuple[str, int]) -> None:
    host, port = host_server
    connect = f"import socket\nsocket.create_connection(({host!r}, {port}), timeout=2).close()"
    assert run_sandboxed(python(report(connect)), tmp_path / "outside", LIMITS) != []  # sanity: the code runs
    socket.create_connection((host, port), timeout=2).close()  # reachable from here
    events = run_sandboxed(python(report(connect)), tmp_path / "work", LIMITS)
    assert events[0]["event"] == "refused"


@needs_bwrap
def test_task_code_writes_only_its_work_directory(tmp_path: Path) -> None:
    work = tmp_path / "work"
    escape = REPO_ROOT / f"sandbox-escape-{os.getpid()}.txt"
    events = run_sandboxed(python(report(f"open({str(escape)!r}, 'w').write('x')")), work, LIMITS)
    assert events[0]["event"] == "refused" and "Read-only" in events[0]["error"] and not escape.exists()
    beside = tmp_path / "beside.txt"  # /tmp is a private tmpfs: a write there never reaches the host
    run_sandboxed(python(report(f"open({str(beside)!r}, 'w').write('x')")), work, LIMITS)
    assert not beside.exists()
    events = run_sandboxed(python(report(f"open({str(work / 'inside.txt')!r}, 'w').write('x')")), work, LIMITS)
    assert events[0]["event"] == "ok" and (work / "inside.txt").read_text() == "x"


def test_memory_limit_stops_the_task_cleanly(tmp_path: Path) -> None:
    hog = "import sys\ntry:\n    b = bytearray(600 << 20)\nexcept MemoryError:\n    sys.exit(3)\n"
    with pytest.raises(SandboxLimitError, match="memory limit of 256 MB"):
        run_sandboxed(python(hog), tmp_path, SandboxLimits(memory_mb=256, seconds=60))


def test_memory_limit_holds_on_a_gpu_node_too(tmp_path: Path) -> None:
    """With GPUs the limit counts data (RLIMIT_DATA), not address space: a host-memory hog still stops."""
    hog = "import sys\ntry:\n    b = bytearray(600 << 20)\nexcept MemoryError:\n    sys.exit(3)\n"
    with pytest.raises(SandboxLimitError, match="memory limit of 256 MB"):
        run_sandboxed(python(hog), tmp_path, SandboxLimits(memory_mb=256, seconds=60, gpu=True))


def test_a_gpu_sandbox_binds_the_nvidia_devices_into_its_own_dev(tmp_path: Path) -> None:
    dev = tmp_path / "dev"
    (dev / "nvidia-caps").mkdir(parents=True)
    for name in ("nvidia0", "nvidiactl", "nvidia-uvm", "sda", "null"):
        (dev / name).touch()
    found = gpu_device_files(dev)
    assert [p.name for p in found] == ["nvidia-caps", "nvidia-uvm", "nvidia0", "nvidiactl"]
    command = _bwrap_prefix(tmp_path, (), (), found)
    assert command.index("--dev") < command.index("--dev-bind")  # bound into the sandbox's fresh /dev
    assert [command[i + 1] for i, arg in enumerate(command) if arg == "--dev-bind"] == [str(p) for p in found]
    assert "--unshare-net" in command and "--dev-bind" not in _bwrap_prefix(tmp_path, ())


def test_time_limit_stops_the_task(tmp_path: Path) -> None:
    with pytest.raises(SandboxLimitError, match="time limit of 1 s"):
        run_sandboxed(python("import time\ntime.sleep(60)"), tmp_path, SandboxLimits(seconds=1))


def test_crash_is_reported_with_the_end_of_its_log(tmp_path: Path) -> None:
    with pytest.raises(SandboxError, match="exit status 1.*boom") as info:
        run_sandboxed(python("raise SystemExit('boom')"), tmp_path, LIMITS)
    assert not isinstance(info.value, SandboxLimitError)  # a crash is no broken limit


def test_task_code_is_pinned_to_the_given_cores(tmp_path: Path) -> None:
    core = sorted(os.sched_getaffinity(0))[-1]
    code = "import json, os\nprint(json.dumps({'event': 'cpus', 'cpus': sorted(os.sched_getaffinity(0))}))"
    events = run_sandboxed(python(code), tmp_path, SandboxLimits(cpus=(core,)))
    assert events == [{"event": "cpus", "cpus": [core]}]


def test_sandboxed_training_matches_training_in_process(tmp_path: Path) -> None:
    spec = load_spec(TINY)
    reference = train(spec, tmp_path / "plain", node=NODE)
    seen: list[int] = []
    result = run_training(spec, tmp_path / "boxed", LIMITS, node=NODE, on_checkpoint=lambda c: seen.append(c.step))
    assert result.result_digest == reference.result_digest
    assert result.chain_head == reference.chain_head
    assert seen == [c.step for c in reference.checkpoints]
    assert result.model_path.is_file()


def test_a_refusal_inside_the_sandbox_is_a_training_error(tmp_path: Path) -> None:
    spec = load_spec(TINY)
    stored = spec.model_copy(update={"dataset": spec.dataset.model_copy(update={"uri": "ipfs://x"})})
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"junk")
    with pytest.raises(TrainingError, match="junk.npz"):
        run_training(stored, tmp_path / "work", LIMITS, node=NODE, dataset_file=junk)
    assert json.loads((tmp_path / "work" / "job.json").read_text())["dataset_file"] == str(junk)


def test_a_child_started_ahead_trains_the_job_it_is_handed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A standby child warms up before its job exists; handed the job it trains it (no new
    process is started) to the same digest as a child started for the job."""
    import nnc.worker.sandboxed_training as sandboxed

    spec = load_spec(TINY)
    reference = run_training(spec, tmp_path / "cold", LIMITS, node=NODE)
    warm = sandboxed.start_standby(spec, tmp_path / "warm", LIMITS)

    def no_new_process(*args: object, **kwargs: object) -> None:
        raise AssertionError("a new sandboxed process was started although one was waiting")

    monkeypatch.setattr(sandboxed, "SandboxedProcess", no_new_process)
    result = run_training(spec, tmp_path / "warm", LIMITS, node=NODE, warm=warm)
    assert result.result_digest == reference.result_digest
    assert not warm.alive and warm.process.returncode == 0


def test_standby_keeps_at_most_its_capacity_and_discards_the_oldest(tmp_path: Path) -> None:
    from nnc.worker.standby import Standby

    spec = load_spec(TINY)
    standby = Standby(capacity=1)
    standby.prepare(1, spec, tmp_path / "1", LIMITS)
    first = standby._waiting[1]
    standby.prepare(2, spec, tmp_path / "2", LIMITS)
    assert 1 not in standby and 2 in standby
    assert not first.alive  # killed to make way
    second = standby.take(2)
    assert second is not None and second.alive and 2 not in standby
    second.send("")  # end of its wait without a job: it exits cleanly
    assert second.collect() == [{"event": "ready"}]
    assert standby.take(3) is None
    standby.close()


def test_a_training_child_yields_the_cpu_to_the_daemons_beside_it(tmp_path: Path) -> None:
    """The child lowers its nice value and, where the kernel schedules by session (the sandbox
    gives it a session of its own), its session's: the node's daemon and the host's services
    come first when the CPU is short."""
    import nnc.worker.sandboxed_training as sandboxed

    def descendants(pid: int) -> list[int]:
        children = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        return children + [d for c in children for d in descendants(c)]

    warm = sandboxed.start_standby(load_spec(TINY), tmp_path / "warm", LIMITS)
    try:
        assert warm.wait_for("ready")
        pid = next(p for p in [warm.process.pid, *descendants(warm.process.pid)]  # under bwrap, if present
                   if Path(Path(f"/proc/{p}/cmdline").read_bytes().split(b"\0")[0].decode()).name.startswith("python"))
        assert int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16]) == sandboxed.TRAINING_NICENESS
        autogroup = Path(f"/proc/{pid}/autogroup")
        if autogroup.exists():
            assert autogroup.read_text().split()[-1] == str(sandboxed.TRAINING_NICENESS)
    finally:
        warm.kill()
