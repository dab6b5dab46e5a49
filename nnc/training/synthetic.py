"""Datasets generated in code for the audio and video templates: no download, same bytes everywhere.

Both draw from numpy's PCG64 generator with a fixed seed (numpy keeps its streams stable across
versions); a spec can pin the result with `dataset.digest` to catch any drift. Real audio or
video features of the same shape can replace them through the spec's dataset `uri`.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

SAMPLES: Final = 1200
TONE_RATE: Final = 2048
"""Samples per second of the tone clips (256 samples: 125 ms)."""
TONE_PITCHES: Final = (110.0, 196.0, 294.0, 440.0)
"""Class k of `synthetic-tones` is a sine at `TONE_PITCHES[k]` Hz."""
MOTION_DIRECTIONS: Final = ((-1, 0), (1, 0), (0, -1), (0, 1))
"""Class k of `synthetic-motion` moves its dot by (rows, columns) `MOTION_DIRECTIONS[k]` per frame."""

Arrays = tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]


def tones(n: int = SAMPLES, length: int = 256) -> Arrays:
    """Audio clips: a sine of one of four pitches with random phase and amplitude in Gaussian
    noise (SNR about 3 dB), scaled into [0, 1]; inputs `(n, length)`, labels `(n,)`."""
    rng = np.random.default_rng(0x70E5)
    labels = rng.integers(0, len(TONE_PITCHES), size=n)
    t = np.arange(length) / TONE_RATE
    phase = rng.uniform(0.0, 2 * np.pi, size=(n, 1))
    amplitude = rng.uniform(0.5, 1.0, size=(n, 1))
    pitch = np.asarray(TONE_PITCHES)[labels][:, None]
    clips = amplitude * np.sin(2 * np.pi * pitch * t[None, :] + phase) + rng.normal(0.0, 0.4, size=(n, length))
    clips = (np.clip(clips, -2.0, 2.0) + 2.0) / 4.0
    return clips.astype(np.float32), labels.astype(np.int64)


def motion(n: int = SAMPLES, frames: int = 8, size: int = 8) -> Arrays:
    """Video clips: a bright dot moving one pixel a frame in one of four directions (wrapping at
    the edges) over noise; inputs `(n, frames·size·size)` frame-major, labels `(n,)`."""
    rng = np.random.default_rng(0x3071)
    labels = rng.integers(0, len(MOTION_DIRECTIONS), size=n)
    start = rng.integers(0, size, size=(n, 2))
    clips = rng.uniform(0.0, 0.25, size=(n, frames, size, size))
    steps = np.asarray(MOTION_DIRECTIONS)[labels]
    for f in range(frames):
        rows = (start[:, 0] + f * steps[:, 0]) % size
        cols = (start[:, 1] + f * steps[:, 1]) % size
        clips[np.arange(n), f, rows, cols] = 1.0
    return clips.reshape(n, -1).astype(np.float32), labels.astype(np.int64)
