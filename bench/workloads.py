"""Real workloads: the cost of carrying any dataset, a requester's own program, and GPUs.

`program_overhead_ratio` (bench/program_overhead.py): the worker's sandboxed path on the example
program over a plain loop of the same program (goal at most 1.05). `gpu_overhead_ratio`
(bench/gpu.py): the worker's full path on CUDA over a plain CUDA loop (goal at most 1.05), only
where CUDA is present; otherwise the key is absent and the reason printed.

`stream_1gib_peak_mem_mb`: a 1 GiB dataset directory (four 256 MiB files of random bytes, so
nothing deduplicates) is stored on the local IPFS node started here (`nnc data put DIR`'s path:
its canonical tar, streamed), then fetched the way a worker does (`fetch_dataset`: streamed to the
node's cache, verified against the CID, extracted, its tree digest checked). The figure is the
Python process's peak resident set during the fetch above its resident set just before (the
kernel's high-water mark), in a fresh process. Goal: under 64 MB. `stream_seconds` and `stream_mb_s` time the fetch.

Each measurement is a function `measure_*(quick: bool) -> dict` of the keys it adds; `main` runs
those in `MEASUREMENTS` and prints their union as the last line (one JSON object).

    .venv/bin/python bench/workloads.py [--quick]

`--quick` (run by tests/bench): a 4 MiB dataset; the key keeps its name, the figure means nothing.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nnc.resources import peak_memory
from nnc.storage.archive import put_directory
from nnc.storage.ipfs import IpfsStore
from nnc.storage.services import IpfsNode
from nnc.task import parse_spec
from nnc.training.data import check_digest, fetch_dataset

MiB = 1024 * 1024
GiB = 1024 * MiB
FILES = 4
WRITE_BLOCK = 4 * MiB


def write_dataset(root: Path, total: int) -> Path:
    """`FILES` files of random bytes, `total` bytes in all, written a block at a time."""
    root.mkdir(parents=True)
    for index in range(FILES):
        left = total // FILES
        with (root / f"part-{index}.bin").open("wb") as fh:
            while left:
                block = os.urandom(min(WRITE_BLOCK, left))
                fh.write(block)
                left -= len(block)
    return root


def fetch_in_this_process(spec_document: dict[str, Any], api_url: str, root: str) -> tuple[float, float]:
    """(peak MB over the resident set before, seconds) of a worker's fetch of the spec's dataset."""
    spec, store = parse_spec(spec_document), IpfsStore(api_url)
    with peak_memory() as peak:
        started = time.perf_counter()
        fetched = fetch_dataset(spec, store, Path(root) / "work", cache=Path(root) / "cache")
        assert fetched is not None
        check_digest(spec.dataset, lambda: "", fetched)  # the tree digest, streamed through each file
        seconds = time.perf_counter() - started
    return peak.mb_over_start, seconds


def measure_streaming(quick: bool) -> dict[str, Any]:
    """Peak memory of fetching a 1 GiB (quick: 4 MiB) dataset directory from the local IPFS node."""
    total = 4 * MiB if quick else GiB
    with tempfile.TemporaryDirectory(prefix="nnc-bench-workloads-") as tmp, IpfsNode(Path(tmp) / "ipfs") as node:
        root = Path(tmp)
        store = IpfsStore(node.url)
        uri, digest = put_directory(store, write_dataset(root / "dataset", total))
        shutil.rmtree(root / "dataset")
        spec_document = {
            "name": "stream bench", "framework": "torch", "model": {"kind": "mlp", "hidden": [8], "channels": []},
            "dataset": {"name": "sklearn-digits", "eval_fraction": 0.2, "uri": uri, "digest": digest,
                        "format": "npz"},
            "training": {"seed": 1, "steps": 1, "batch_size": 1, "learning_rate": 0.1, "optimizer": "sgd",
                         "checkpoint_interval": 1},
            "acceptance": {"metric": "accuracy", "threshold": 0.5}, "determinism": {"threads": 1}}
        with multiprocessing.get_context("spawn").Pool(1) as pool:  # a fresh process: its baseline is its own
            peak_mb, seconds = pool.apply(fetch_in_this_process, (spec_document, node.url, str(root)))
    print(f"streamed {total / MiB:.0f} MiB from IPFS in {seconds:.1f} s ({total / MiB / seconds:.0f} MiB/s), "
          f"peak {peak_mb:.1f} MB over baseline", flush=True)
    return {"stream_1gib_peak_mem_mb": round(peak_mb, 1), "stream_seconds": round(seconds, 2),
            "stream_mb_s": round(total / MiB / seconds, 1)}


def measure_gpu(quick: bool) -> dict[str, Any]:
    """`gpu_overhead_ratio` from bench/gpu.py when CUDA is present; otherwise no key, and the reason printed."""
    from gpu import measure_gpu_overhead  # bench/gpu.py: this script's folder is on sys.path

    figures = measure_gpu_overhead(quick)
    if not figures["cuda_available"]:
        print(f"gpu_overhead_ratio not measured: {figures['reason']}", flush=True)
        return {}
    return {"gpu_overhead_ratio": figures["gpu_overhead_ratio"], "gpu_device": figures["device"]}


def measure_program(quick: bool) -> dict[str, Any]:
    """`program_overhead_ratio` and the seconds of each path, from bench/program_overhead.py."""
    from program_overhead import measure_program_overhead

    return measure_program_overhead(quick)


MEASUREMENTS: list[Callable[[bool], dict[str, Any]]] = [measure_streaming, measure_program, measure_gpu]
"""Each adds its keys to the last line."""


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run for tests)")
    args = parser.parse_args()
    result: dict[str, Any] = {}
    for measure in MEASUREMENTS:
        result.update(measure(args.quick))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
