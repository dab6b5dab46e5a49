"""Resource measurements (Linux): the peak resident set of this process during a piece of work, and
the resident set of another process; and giving freed heap memory back to the system."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_STATUS = Path("/proc/self/status")


def _status_kb(field: str, status: Path = _STATUS) -> int:
    for line in status.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in {status}")


def resident_mb(pid: int) -> float:
    """The resident set of process `pid` in MB (0.0 once it is gone)."""
    try:
        return _status_kb("VmRSS", Path(f"/proc/{pid}/status")) / 1024
    except (OSError, RuntimeError):  # gone, or a zombie (no VmRSS line)
        return 0.0


@dataclass
class PeakMemory:
    """Filled in when the `peak_memory()` block ends: MB above the resident set at its start."""

    mb_over_start: float = 0.0


@contextmanager
def peak_memory() -> Iterator[PeakMemory]:
    """Measures the peak resident set of the block above the one at its start, through the
    kernel's high-water mark (reset at the start with /proc/self/clear_refs)."""
    _STATUS.with_name("clear_refs").write_text("5")
    start = _status_kb("VmRSS")
    result = PeakMemory()
    try:
        yield result
    finally:
        result.mb_over_start = (_status_kb("VmHWM") - start) / 1024


def release_free_memory() -> None:
    """Collects garbage and hands the heap's free pages back to the system (glibc's `malloc_trim`;
    nothing elsewhere). A long-lived daemon that loads a model now and then otherwise keeps the
    peak of its heap resident: freed blocks stay mapped in the allocator's arenas (one per thread)."""
    gc.collect()
    name = ctypes.util.find_library("c")
    if name is None:
        return
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None)
    if trim is not None:
        trim(0)
