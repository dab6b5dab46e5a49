"""Hardware profile: collection, canonical JSON, digest and hardware class."""

from __future__ import annotations

import dataclasses
import json
import platform
import time

import pytest
import torch

from nnc.node.profile import (
    Benchmark,
    GpuInfo,
    HardwareProfile,
    collect_profile,
    hardware_class,
    measure_benchmark,
    profile_digest,
    profile_from_json,
    profile_json,
)


@pytest.fixture(scope="module")
def profile() -> HardwareProfile:
    return collect_profile(benchmark_seconds=0.2)


def test_profile_fields_are_sane(profile: HardwareProfile) -> None:
    assert profile.cpu_model and profile.cpu_model != "unknown"
    assert 1 <= profile.cpu_cores <= 4096
    assert profile.ram_bytes > 256 * 1024 * 1024
    assert profile.python == platform.python_version()
    assert profile.torch == torch.__version__
    assert profile.numpy and profile.os
    assert (profile.gpus != []) == torch.cuda.is_available()
    assert all(gpu.name and gpu.vram_bytes > 0 for gpu in profile.gpus)
    if not profile.gpus:
        assert profile.cuda is None or profile.cuda == torch.version.cuda
    assert profile.benchmark.matmul_gflops > 0.1
    assert profile.benchmark.memory_gbps > 0.1
    assert profile.benchmark.device == ("cuda" if torch.cuda.is_available() else "cpu")


def test_benchmark_takes_about_the_time_asked() -> None:
    started = time.perf_counter()
    benchmark = measure_benchmark(0.3, device="cpu")
    assert time.perf_counter() - started < 3.0
    assert benchmark.device == "cpu" and benchmark.matmul_gflops > 0.1


def test_digest_is_stable_for_the_same_profile(profile: HardwareProfile) -> None:
    digest = profile_digest(profile)
    assert len(digest) == 32
    assert profile_digest(profile) == digest
    assert profile_digest(profile_from_json(profile_json(profile))) == digest
    assert profile_from_json(profile_json(profile)) == profile


def test_digest_changes_with_the_profile(profile: HardwareProfile) -> None:
    changed = [
        dataclasses.replace(profile, ram_bytes=profile.ram_bytes + 1),
        dataclasses.replace(profile, gpus=[*profile.gpus, GpuInfo("Test GPU", 1 << 30)]),
        dataclasses.replace(profile, benchmark=dataclasses.replace(profile.benchmark, memory_gbps=1.5)),
    ]
    digests = {profile_digest(p) for p in changed}
    assert len(digests) == 3 and profile_digest(profile) not in digests


def test_profile_json_is_canonical(profile: HardwareProfile) -> None:
    data = profile_json(profile)
    document = json.loads(data)
    assert json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode() == data
    assert set(document) >= {"cpu_model", "cpu_cores", "ram_bytes", "gpus", "cuda", "cuda_driver", "benchmark"}


@pytest.mark.parametrize(
    ("gflops", "gpus", "expected"),
    [
        (5.0, 0, 0),
        (19.9, 1, 0),
        (20.0, 0, 1),
        (199.9, 1, 1),
        (200.0, 0, 2),
        (5000.0, 0, 2),
        (1999.9, 1, 2),
        (2000.0, 1, 3),
    ],
)
def test_hardware_class_thresholds(profile: HardwareProfile, gflops: float, gpus: int, expected: int) -> None:
    probe = dataclasses.replace(
        profile,
        gpus=[GpuInfo("Test GPU", 1 << 34)] * gpus,
        benchmark=Benchmark(matmul_gflops=gflops, memory_gbps=10.0),
    )
    assert hardware_class(probe) == expected
