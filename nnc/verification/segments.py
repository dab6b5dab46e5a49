"""Which checkpoint segments a spot-check re-executes, as a pure function of the on-chain seed."""

from __future__ import annotations

import hashlib

from nnc.errors import VerificationError
from nnc.task import TaskSpec


def segment_bounds(spec: TaskSpec) -> list[tuple[int, int]]:
    """(start step, end step) of every segment: from the initial model (step 0) to the first
    checkpoint, then from each checkpoint to the next; the last ends at the final step."""
    interval, steps = spec.schedule.checkpoint_interval, spec.schedule.steps
    ends = list(range(interval, steps, interval)) + [steps]
    return list(zip([0, *ends[:-1]], ends, strict=True))


def choose_segments(seed: int, n_segments: int, count: int) -> list[int]:
    """Indices of the `count` segments to check: always the last one (it produces the submitted
    model), and `count - 1` others drawn without replacement by SHA-256 of (seed, draw), sorted.

    The trainer commits to its checkpoints before the seed exists (the seed comes from the hash of
    a block mined after the verification request, when the verifier is drawn), so it cannot know
    which segments are checked.
    """
    if n_segments < 1 or count < 1:
        raise VerificationError(f"cannot choose {count} of {n_segments} segments")
    chosen = {n_segments - 1}
    pool = list(range(n_segments - 1))
    draw = 0
    while len(chosen) < min(count, n_segments):
        material = hashlib.sha256(b"nnc-spot-check" + seed.to_bytes(32, "big") + draw.to_bytes(8, "big")).digest()
        chosen.add(pool.pop(int.from_bytes(material, "big") % len(pool)))
        draw += 1
    return sorted(chosen)
