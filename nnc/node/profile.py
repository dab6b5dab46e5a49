"""A node's hardware profile: what the machine is, how fast it measured, and its hardware class.

The profile is registered on chain by its digest (`profile_digest`, SHA-256 of the canonical JSON
document `profile_json`); the document itself is content-addressed in storage, and the benchmark
in it is attested by an oracle.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import torch

from nnc.runtimes import RUNTIMES, installed_runtimes
from nnc.runtimes.requirements import installed_packages
from nnc.training.device import prepare_cuda

logger = logging.getLogger(__name__)

MATMUL_SIZE: Final = 512
COPY_BYTES: Final = 64 * 1024 * 1024

CLASS_THRESHOLDS_GFLOPS: Final = (20.0, 200.0, 2000.0)
"""Matmul throughput bounds between hardware classes 0|1, 1|2 and 2|3 (see `hardware_class`)."""


@dataclass(frozen=True)
class Benchmark:
    """Measured throughput: float32 matmul in GFLOPS, memory copy in GB/s (10^9 bytes/s), on `device`."""

    matmul_gflops: float
    memory_gbps: float
    device: str = "cpu"


@dataclass(frozen=True)
class GpuInfo:
    """A CUDA device: its model (the name CUDA reports, which a replicated GPU task's
    `execution.device_model` must equal), memory and compute capability ("9.0"; None in profiles
    registered before it was recorded)."""

    name: str
    vram_bytes: int
    capability: str | None = None


@dataclass(frozen=True)
class HardwareProfile:
    """What a node declares about itself when it registers."""

    cpu_model: str
    cpu_cores: int
    ram_bytes: int
    gpus: list[GpuInfo]
    cuda_driver: str | None
    cuda: str | None
    python: str
    torch: str
    numpy: str
    os: str
    benchmark: Benchmark = field(default_factory=lambda: Benchmark(0.0, 0.0))
    runtimes: dict[str, dict[str, str]] = field(default_factory=dict)
    """The frameworks this node trains (`nnc.runtimes`), each with its packages' versions."""
    packages: dict[str, str] = field(default_factory=dict)
    """Every package a program may import here (normalised name → version): a program's
    `requires` is matched against these (`nnc.runtimes.requirements`)."""


def _time_loop(operation: Callable[[], object], seconds: float, sync: Callable[[], None]) -> tuple[int, float]:
    """Run `operation` repeatedly for about `seconds`: (iterations, elapsed seconds).

    Work is issued in batches that double while a batch takes under a tenth of the budget, and
    every batch is synchronised (for GPUs, whose calls return before the work is done).
    """
    operation()
    sync()
    iterations, batch = 0, 1
    start = time.perf_counter()
    while True:
        batch_start = time.perf_counter()
        for _ in range(batch):
            operation()
        sync()
        iterations += batch
        now = time.perf_counter()
        if now - start >= seconds:
            return iterations, now - start
        if now - batch_start < seconds / 10:
            batch *= 2


def _default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def _matmul_gflops(target: torch.device, seconds: float, sync: Callable[[], None]) -> float:
    generator = torch.Generator().manual_seed(0)
    n = MATMUL_SIZE
    a = torch.rand(n, n, generator=generator).to(target)
    b = torch.rand(n, n, generator=generator).to(target)
    out = torch.empty(n, n, device=target)
    iterations, elapsed = _time_loop(lambda: torch.mm(a, b, out=out), seconds, sync)
    return 2 * n**3 * iterations / elapsed / 1e9


def _copy_gbps(target: torch.device, seconds: float, sync: Callable[[], None]) -> float:
    source = torch.ones(COPY_BYTES // 4, dtype=torch.float32, device=target)
    dest = torch.empty_like(source)
    iterations, elapsed = _time_loop(lambda: dest.copy_(source), seconds, sync)
    return 2 * COPY_BYTES * iterations / elapsed / 1e9


def measure_benchmark(seconds: float = 1.0, device: str | None = None) -> Benchmark:
    """Measure matmul and memory throughput, taking about `seconds` in all (half each).

    matmul: float32 `512×512 @ 512×512` repeated; GFLOPS = 2·n³·iterations / time / 10^9.
    memory: a 64 MiB float32 tensor copied into another; GB/s counts each copy as read plus write,
    2·64 MiB·iterations / time / 10^9. `device` defaults to the first CUDA GPU when there is one,
    else the CPU (with torch's current thread count). Results are rounded to 0.1.
    """
    target = torch.device(device or _default_device())
    if target.type == "cuda":
        prepare_cuda()  # before the process's first cuBLAS call, which fixes its workspace

    def sync() -> None:
        if target.type == "cuda":
            torch.cuda.synchronize(target)

    gflops = _matmul_gflops(target, seconds / 2, sync)
    gbps = _copy_gbps(target, seconds / 2, sync)
    logger.info("benchmark on %s: matmul %.1f GFLOPS, memory %.1f GB/s", target, gflops, gbps)
    return Benchmark(matmul_gflops=round(gflops, 1), memory_gbps=round(gbps, 1), device=target.type)


def _read_text(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _cpu_model() -> str:
    cpuinfo = _read_text("/proc/cpuinfo") or ""
    for key in ("model name", "Hardware", "Model", "cpu model"):
        match = re.search(rf"^{key}\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
        if match:
            return match.group(1).strip()
    return platform.processor() or platform.machine() or "unknown"


def _cpu_cores() -> int:
    """Logical CPUs this process may run on (its affinity set), else the machine's count."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _ram_bytes() -> int:
    meminfo = _read_text("/proc/meminfo") or ""
    match = re.search(r"^MemTotal:\s*(\d+)\s*kB", meminfo, re.MULTILINE)
    if match:
        return int(match.group(1)) * 1024
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 0


def _cuda_driver() -> str | None:
    version = _read_text("/proc/driver/nvidia/version")
    match = re.search(r"Kernel Module\s+(?:for\s+\S+\s+)?(\d[\w.]*)", version or "")
    return match.group(1) if match else None


def _gpus() -> list[GpuInfo]:
    if not torch.cuda.is_available():
        return []
    gpus = []
    for index in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(index)
        gpus.append(GpuInfo(name=str(props.name), vram_bytes=int(props.total_memory),
                            capability=f"{props.major}.{props.minor}"))
    return gpus


def gpu_models() -> list[str]:
    """The models of this machine's CUDA devices (empty without CUDA): what a node checks a GPU
    task's `execution.device_model` against before applying."""
    return [gpu.name for gpu in _gpus()]


def runtime_versions(frameworks: list[str]) -> dict[str, dict[str, str]]:
    """Each of `frameworks` (installed runtimes) with the versions of the packages it runs on."""
    return {name: RUNTIMES[name].versions() for name in frameworks}


def collect_profile(benchmark_seconds: float = 1.0, runtimes: list[str] | None = None) -> HardwareProfile:
    """Describe this machine and measure it (`measure_benchmark(benchmark_seconds)`).

    `runtimes` are the frameworks the node offers (default: every installed one).

    RAM is the machine's total (/proc/meminfo), not a container limit; `cuda` is the CUDA version
    torch was built with and `cuda_driver` the NVIDIA kernel driver version, each None without one.
    """
    return HardwareProfile(
        cpu_model=_cpu_model(),
        cpu_cores=_cpu_cores(),
        ram_bytes=_ram_bytes(),
        gpus=_gpus(),
        cuda_driver=_cuda_driver(),
        cuda=torch.version.cuda,
        python=platform.python_version(),
        torch=torch.__version__,
        numpy=np.__version__,
        os=platform.platform(),
        benchmark=measure_benchmark(benchmark_seconds),
        runtimes=runtime_versions(installed_runtimes() if runtimes is None else runtimes),
        packages=installed_packages(),
    )


def profile_json(profile: HardwareProfile) -> bytes:
    """The profile as canonical JSON: every field, keys sorted, no whitespace, UTF-8."""
    document = asdict(profile)
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def profile_from_json(data: bytes | str) -> HardwareProfile:
    """Parse a document written by `profile_json` (ValueError/KeyError/TypeError when malformed)."""
    document: dict[str, Any] = json.loads(data)
    gpus = [GpuInfo(**gpu) for gpu in document.pop("gpus")]
    benchmark = Benchmark(**document.pop("benchmark"))
    return HardwareProfile(gpus=gpus, benchmark=benchmark, **document)


def profile_digest(profile: HardwareProfile) -> bytes:
    """SHA-256 (32 bytes) of `profile_json(profile)`: the digest registered on chain."""
    return hashlib.sha256(profile_json(profile)).digest()


def hardware_class(profile: HardwareProfile) -> int:
    """Coarse class used by task matching, from the benchmark's matmul throughput.

    0: under 20 GFLOPS (small or old CPUs); 1: 20 to under 200 (typical desktop and server CPUs);
    2: 200 GFLOPS or more without a GPU, or a GPU under 2000 GFLOPS; 3: a GPU with 2000 GFLOPS or
    more. Class 3 needs a GPU in the profile, so a fast CPU-only machine stays in class 2.

    The benchmark runs on the device that trains (the GPU when there is one), so the class is that
    of the node's GPU; a task that trains on the CPU only (`execution.device` 'cpu') runs on its
    CPU, and the node's own estimate before applying benchmarks the CPU for it
    (`nnc.worker.intake`).
    """
    gflops = profile.benchmark.matmul_gflops
    low, mid, high = CLASS_THRESHOLDS_GFLOPS
    if gflops < low:
        return 0
    if gflops < mid:
        return 1
    if not profile.gpus or gflops < high:
        return 2
    return 3
