"""The sandboxed child's side of the protocol (`nnc.sandbox_child`): what a failure's exit status
and event are, the standby start, and what counts as the memory limit biting."""

from __future__ import annotations

import io
import json

import pytest

from nnc.errors import StorageError, TrainingError
from nnc.sandbox import OUT_OF_MEMORY_EXIT
from nnc.sandbox_child import REFUSED_EXIT, failure_status, is_out_of_memory, standby_job, warm_imports


def _events(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line]


def test_out_of_memory_is_a_memory_error_or_the_loaders_message() -> None:
    assert is_out_of_memory(MemoryError())
    assert is_out_of_memory(ImportError("libtorch_cpu.so: failed to map segment from shared object"))
    assert is_out_of_memory(RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 8 GB"))
    assert not is_out_of_memory(ValueError("shapes do not match"))


def test_failures_say_why_and_built_in_bugs_are_raised(capsys: pytest.CaptureFixture[str]) -> None:
    assert failure_status(MemoryError(), None) == OUT_OF_MEMORY_EXIT
    assert failure_status(TrainingError("loss is NaN"), None) == REFUSED_EXIT
    assert failure_status(ValueError("bad shape"), "pkg:make") == REFUSED_EXIT
    assert failure_status(StorageError("gone"), "pkg:make", (TrainingError,)) == REFUSED_EXIT
    assert [e["message"] for e in _events(capsys.readouterr().out)] == [
        "loss is NaN", "program pkg:make: ValueError: bad shape", "program pkg:make: StorageError: gone"]
    with pytest.raises(ValueError, match="a bug"):
        failure_status(ValueError("a bug"), None)
    with pytest.raises(StorageError):
        failure_status(StorageError("not reported by training"), None, (TrainingError,))


def test_standby_waits_for_its_job_or_ends(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert standby_job(["job.json"], lambda: 1 / 0) == ["job.json"], "no standby: no warm-up"
    monkeypatch.setattr("sys.stdin", io.StringIO("/work/job.json\n"))
    assert standby_job(["--standby", "w"], lambda: 0) == ["/work/job.json"]
    assert _events(capsys.readouterr().out) == [{"event": "ready"}]
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert standby_job(["--standby", "w"], lambda: 0) == 0, "discarded by its parent"
    assert standby_job(["--standby", "w"], lambda: OUT_OF_MEMORY_EXIT) == OUT_OF_MEMORY_EXIT


def test_a_warm_up_under_too_little_memory_ends_with_the_memory_status() -> None:
    def mapping_fails() -> None:
        raise ImportError("failed to map segment from shared object")

    def broken() -> None:
        raise ImportError("No module named 'nothing'")

    assert warm_imports(mapping_fails) == OUT_OF_MEMORY_EXIT
    assert warm_imports(lambda: None) == 0
    with pytest.raises(ImportError, match="nothing"):
        warm_imports(broken)
