"""The spot-check of an inference task: re-run random input shards and compare with the claimed
outputs.

The same draw as a training spot-check (`choose_segments`: the last shard always, the others by
SHA-256 of the on-chain seed), with shards for segments. Checks, in order (the first failure
decides, and is named in the report):
1. the outputs file holds one array per shard, each with one output per input of its shard;
2. the digests of its shards chain (`nnc.inference.outputs`) to the committed result digest: the
   file is the one the node committed, so no shard can be swapped after the draw;
3. each chosen shard, re-run from the spec's weights and inputs, lands within `tolerance` of the
   claimed outputs: for logits the relative L2 distance, for classes (tokens) the fraction of
   classes (tokens) that differ.

A node that fabricated `f` of `n` shards is caught unless the draw misses all of them:
`detection_probability` gives the odds for `k` checked shards.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from nnc.errors import NNCError, VerificationError
from nnc.inference.outputs import outputs_digest, read_outputs, shard_digest
from nnc.inference.runner import load_model, run_shards
from nnc.inference.sandboxed import rerun_sandboxed
from nnc.sandbox import SandboxError, SandboxLimits
from nnc.task import TaskSpec
from nnc.task.inference_spec import InferenceSpec
from nnc.training.program_package import ProgramFiles
from nnc.verification.procedure import SegmentResult, VerificationReport
from nnc.verification.segments import choose_segments
from nnc.zk import agreement_tag

log = logging.getLogger(__name__)


def output_distance(replayed: npt.NDArray[np.generic], claimed: npt.NDArray[np.generic],
                    inference: InferenceSpec) -> float:
    """How far claimed outputs are from re-run ones (inf when their shapes differ): for classes
    and tokens the fraction that differ, for logits ||replayed − claimed||₂ / ||claimed||₂."""
    if replayed.shape != claimed.shape:
        return math.inf
    if inference.outputs in ("classes", "tokens"):
        return float(np.mean(replayed != claimed)) if replayed.size else 0.0
    want, got = claimed.astype(np.float64), replayed.astype(np.float64)
    if not np.all(np.isfinite(want)):
        return math.inf
    if np.array_equal(want, got):
        return 0.0
    return float(np.linalg.norm(got - want)) / max(float(np.linalg.norm(want)), 1e-12)


def detection_probability(shards: int, fabricated: int, checked: int) -> float:
    """The chance that a spot-check of `checked` shards (the last always, the others drawn without
    replacement) re-runs at least one of `fabricated` shards, all but the last (the worst case
    for the checker: the fabricator leaves the always-checked shard honest)."""
    if fabricated <= 0:
        return 0.0
    pool, drawn = shards - 1, min(checked, shards) - 1
    if fabricated > pool:
        return 1.0
    return 1.0 - math.comb(pool - fabricated, drawn) / math.comb(pool, drawn)


def verify_outputs(spec: TaskSpec, outputs_path: Path, result_digest: bytes, *, seed: int, shards: int,
                   tolerance: float, tag_key: int | None = None, dataset_file: Path | None = None,
                   files: ProgramFiles | None = None, limits: SandboxLimits | None = None,
                   scratch: Path | None = None) -> VerificationReport:
    """Runs the spot-check (see the module's notes) of the outputs file a node stored for `spec`,
    checking `shards` shards drawn from `seed`. `result_digest` is what the chain holds for the
    node (with `tag_key`: the zero-knowledge agreement tag over the outputs digest). A
    built-in model re-runs in this process (as a training spot-check replays one); a requester's
    program in the sandbox under `limits` (default limits when None), in `scratch`."""
    assert spec.inference is not None, "an inference spec"
    inference = spec.inference
    started = time.process_time()

    def verdict(reason: str, checked: list[SegmentResult]) -> VerificationReport:
        log.info("spot-check of %s (inference): %s (%d shard(s) re-run)", spec.name, reason, len(checked))
        return VerificationReport(passed=reason == "ok", reason=reason, seed=seed, segments=checked,
                                  replayed_steps=sum(r.end - r.start for r in checked),
                                  seconds=time.process_time() - started)

    try:
        claimed = read_outputs(outputs_path, inference)
    except VerificationError as exc:
        return verdict(f"outputs: {exc}", [])
    committed = outputs_digest(spec, [shard_digest(a, inference.decimals) for a in claimed])
    if tag_key is not None:
        committed = agreement_tag(tag_key, committed).to_bytes(32, "big")
    if committed != result_digest:
        return verdict("outputs: their digest is not the committed result digest", [])
    chosen = choose_segments(seed, inference.shards, shards)
    try:
        replayed = _rerun(spec, chosen, dataset_file, files or ProgramFiles(), limits, scratch)
    except (NNCError, SandboxError) as exc:
        return verdict(f"re-run: {exc}", [])
    checked: list[SegmentResult] = []
    for shard in chosen:
        start, end = inference.shard_bounds(shard)
        distance = output_distance(replayed[shard], claimed[shard], inference)
        checked.append(SegmentResult(shard, start, end, distance, distance <= tolerance))
        if distance > tolerance:
            return verdict(f"shard {shard} (inputs {start}-{end - 1}): distance {distance:.3g} above tolerance "
                           f"{tolerance:.3g}", checked)
    return verdict("ok", checked)


def _rerun(spec: TaskSpec, shards: Sequence[int], dataset_file: Path | None, files: ProgramFiles,
           limits: SandboxLimits | None, scratch: Path | None) -> dict[int, npt.NDArray[np.generic]]:
    if spec.program is not None:
        if scratch is None:
            raise VerificationError("a sandboxed re-run needs a scratch directory")
        return rerun_sandboxed(spec, scratch, limits or SandboxLimits(), shards, dataset_file=dataset_file,
                               files=files)
    return dict(run_shards(spec, load_model(spec, files, dataset_file), shards))
