"""Storage throughput and memory: put and get of 1 MB and 256 MB files on every backend.

Backends: local (a directory), ipfs (the local Helia node through the Kubo RPC API) and arweave
(arlocal, chunked uploads). Each size is written to a file first, then stored with `put_file` and
read back with `get_file` (both streamed and verified against the content id). Throughput is MB/s
of payload. Memory is the Python process's peak resident set during the large transfer, above its
resident set just before it (the kernel's high-water mark, reset through /proc/self/clear_refs),
so a backend that reads whole files into memory shows up here. The goal is under 64 MB.

The last line is one JSON object; `peak_mem_mb_over_baseline_256mb` is the worst backend's figure.

    .venv/bin/python bench/storage.py [--sizes-mb 1,256] [--backends local,ipfs,arweave] [--quick]

`--quick` (run by tests/bench): 1 MB on every backend; the memory key is then
`peak_mem_mb_over_baseline_1mb`.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nnc.resources import peak_memory
from nnc.storage import LocalStore, Store
from nnc.storage.arweave import ArweaveStore
from nnc.storage.arweave_tx import generate_wallet, wallet_address
from nnc.storage.ipfs import IpfsStore
from nnc.storage.services import ArLocal, IpfsNode

MB = 1_000_000
WRITE_BLOCK = 4 * 1024 * 1024


def write_payload(path: Path, size: int) -> None:
    """`size` pseudo-random bytes (so no backend can deduplicate or compress them), in blocks."""
    with path.open("wb") as fh:
        left = size
        while left:
            block = os.urandom(min(WRITE_BLOCK, left))
            fh.write(block)
            left -= len(block)


def measure(action: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, seconds, peak MB above the resident set at the start) of `action()`."""
    with peak_memory() as peak:
        started = time.perf_counter()
        result = action()
        seconds = time.perf_counter() - started
    return result, seconds, peak.mb_over_start


def bench_backend(name: str, store: Store, payloads: dict[int, Path], workdir: Path) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for size_mb, path in payloads.items():
        uri, put_s, put_mem = measure(lambda: store.put_file(path))  # noqa: B023
        dest = workdir / f"{name}-{size_mb}.out"
        _, get_s, get_mem = measure(lambda: store.get_file(uri, dest))  # noqa: B023
        if dest.stat().st_size != path.stat().st_size:
            raise RuntimeError(f"{name}: {uri} came back with {dest.stat().st_size} bytes, not {path.stat().st_size}")
        dest.unlink()
        figures[f"{size_mb}mb"] = {"put_mb_s": round(size_mb / put_s, 1),
                                   "get_mb_s": round(size_mb / get_s, 1),
                                   "put_peak_mem_mb": round(put_mem, 1), "get_peak_mem_mb": round(get_mem, 1)}
        print(f"{name:8} {size_mb:>5} MB  put {size_mb / put_s:8.1f} MB/s ({put_mem:6.1f} MB peak)  "
              f"get {size_mb / get_s:8.1f} MB/s ({get_mem:6.1f} MB peak)", flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes-mb", default="1,256")
    parser.add_argument("--backends", default="local,ipfs,arweave")
    parser.add_argument("--quick", action="store_true", help="1 MB only (a smoke run for tests)")
    args = parser.parse_args()
    if args.quick:
        args.sizes_mb = "1"
    sizes = [int(s) for s in args.sizes_mb.split(",")]
    backends = args.backends.split(",")
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="nnc-bench-storage-") as tmp:
        root = Path(tmp)
        payloads = {}
        for size_mb in sizes:
            payloads[size_mb] = root / f"payload-{size_mb}mb.bin"
            write_payload(payloads[size_mb], size_mb * MB)
        if "local" in backends:
            results["local"] = bench_backend("local", LocalStore(root / "local"), payloads, root)
        if "ipfs" in backends:
            with IpfsNode(root / "ipfs") as node:
                results["ipfs"] = bench_backend("ipfs", IpfsStore(node.url), payloads, root)
        if "arweave" in backends:
            with ArLocal(root / "arlocal") as arlocal:
                wallet = generate_wallet()
                arlocal.mint(wallet_address(wallet), 10**6 * 10**12)
                results["arweave"] = bench_backend("arweave", ArweaveStore(arlocal.url, wallet), payloads, root)
    largest = f"{max(sizes)}mb"
    worst = max(max(r[largest]["put_peak_mem_mb"], r[largest]["get_peak_mem_mb"]) for r in results.values())
    print(json.dumps({"backends": results, f"peak_mem_mb_over_baseline_{max(sizes)}mb": round(worst, 1)}))


if __name__ == "__main__":
    main()
