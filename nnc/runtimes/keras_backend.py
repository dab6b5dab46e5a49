"""Starting TensorFlow for a task: Keras 3 on the TensorFlow backend, on the CPU, deterministic.

TensorFlow fixes its thread pools when its runtime first starts, and the intra-op thread count
changes a CNN's numbers (measured: 1, 2 and 4 threads give three digests), so the spec's
`determinism.threads` is applied once, before the first op, and a later spec asking for another
count in the same process is refused (a worker trains each task in a fresh sandboxed child).
`enable_op_determinism` makes the kernels themselves deterministic. Imported only when a
`tensorflow` task runs: TensorFlow is an optional extra, about 1.3 GB, and takes seconds to load.
Under a memory limit (RLIMIT_AS, the sandbox's) below `MEMORY_FLOOR_MB` TensorFlow fails deep in
its imports; `tensorflow` refuses it first, naming the limit.
"""

from __future__ import annotations

import os
import resource
from types import ModuleType
from typing import Any, Final

from nnc.errors import TrainingError

MEMORY_FLOOR_MB: Final = 2560
"""The address space TensorFlow needs to start and train the conformance cnn (measured 2026-11-26:
a 2048 MB limit fails while importing, 2560 MB trains it)."""

_threads: int | None = None


def tensorflow(threads: int) -> tuple[ModuleType, Any]:
    """(tensorflow, keras), started with `threads` intra-op threads and deterministic ops."""
    global _threads
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft != resource.RLIM_INFINITY and soft < MEMORY_FLOOR_MB * 2**20:
        raise TrainingError(f"the tensorflow runtime needs a memory limit of at least {MEMORY_FLOOR_MB} MB, this "
                            f"process has {soft // 2**20} MB (raise the sandbox_memory_mb setting)")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # its C++ start-up notices, not warnings
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # the CPU wheel; never look for a GPU
    import keras
    import tensorflow as tf

    if keras.backend.backend() != "tensorflow":
        raise TrainingError(f"Keras runs on {keras.backend.backend()!r} here (KERAS_BACKEND): the tensorflow "
                            "runtime needs the tensorflow backend")
    if _threads is None:
        try:
            tf.config.threading.set_intra_op_parallelism_threads(threads)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError as exc:  # TensorFlow was started elsewhere in this process already
            current = tf.config.threading.get_intra_op_parallelism_threads()
            if current != threads:
                raise TrainingError(f"TensorFlow already runs here with {current} intra-op thread(s); the task "
                                    f"needs {threads} (run it in its own process: the sandbox)") from exc
        tf.config.experimental.enable_op_determinism()
        _threads = threads
    elif _threads != threads:
        raise TrainingError(f"TensorFlow already runs here with {_threads} intra-op thread(s); the task needs "
                            f"{threads} (TensorFlow fixes its thread pools at start: run it in its own process)")
    return tf, keras
