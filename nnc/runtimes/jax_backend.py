"""Starting jax's CPU backend for deterministic training (used by `nnc.runtimes.jax_classifier`).

XLA reads `XLA_FLAGS` once, when jax starts its backends (at the first computation or device
query, not at import). For a spec with `determinism.threads == 1`, `start_backend` adds
`--xla_cpu_multi_thread_eigen=false` to `XLA_FLAGS` (unless the variable already says something about
that flag), starts the backends right away and puts the variable back as it was, so nothing else in
the process (or its children) sees the change. If jax is already running nothing can be changed: a
warning is logged when its mode may differ from the one asked for. jax has no per-call thread
count, so `threads > 1` runs on XLA's own intra-op pool; the first jax spec in a process decides.
This module imports no torch.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

import jax

logger = logging.getLogger(__name__)

SINGLE_THREAD_FLAG: Final = "--xla_cpu_multi_thread_eigen=false"

_mode: str | None = None
"""How jax's CPU backend was started by `start_backend` ('single-threaded' or 'default'); None: not by it."""


def _mode_of(flags: str | None) -> str:
    return "single-threaded" if SINGLE_THREAD_FLAG in (flags or "") else "default"


def start_backend(threads: int) -> str:
    """Starts jax's backends, single-threaded when `threads == 1` if jax is not running yet; returns
    the mode jax runs in ('single-threaded' or 'default')."""
    global _mode
    from jax._src import xla_bridge  # the only way to ask whether the backends already run

    wanted = "single-threaded" if threads == 1 else "default"
    if xla_bridge.backends_are_initialized():
        running = _mode or _mode_of(os.environ.get("XLA_FLAGS"))
    else:
        previous = os.environ.get("XLA_FLAGS")
        flags = previous
        if threads == 1 and "xla_cpu_multi_thread_eigen" not in (previous or ""):
            flags = os.environ["XLA_FLAGS"] = f"{previous or ''} {SINGLE_THREAD_FLAG}".strip()
        try:
            jax.devices("cpu")  # starts every backend, which reads XLA_FLAGS now
        finally:
            if previous is None:
                os.environ.pop("XLA_FLAGS", None)
            else:
                os.environ["XLA_FLAGS"] = previous
        running = _mode = _mode_of(flags)
        logger.info("jax backends started, CPU threading: %s", running)
    if running != wanted:
        logger.warning("jax runs with %s CPU threading, the spec asks for %d thread(s): results may differ from a "
                       "replica's (start jax specs of one thread count in a fresh process)", running, threads)
    return running


@contextmanager
def on_cpu(threads: int) -> Iterator[None]:
    """jax started for `threads` (`start_backend`), with computations placed on the CPU device even
    where a GPU jax is installed."""
    start_backend(threads)
    with jax.default_device(jax.devices("cpu")[0]):
        yield
