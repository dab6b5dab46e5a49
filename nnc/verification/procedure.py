"""The spot-check procedure: check a trainer's checkpoint chain, re-execute segments, evaluate.

Checks, in order (the first failure decides, and is named in the report):
1. the last checkpoint's hash chain recomputes from the trainer's genesis (`chain_genesis(spec,
   trainer)`: the spec digest bound to the trainer's address), covers exactly the spec's
   checkpoint steps, and passes through the trainer's on-chain snapshot if given;
2. the submitted model's digest equals the committed result digest and the last checkpoint's;
3. each chosen segment, re-executed from its start checkpoint (or the seeded initial model),
   lands within `tolerance` (relative L2 distance) of the claimed end checkpoint, whose weights
   digest must be the one in the chain;
4. the model meets the spec's acceptance threshold on the evaluation split.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable
from contextlib import closing, nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from nnc.errors import TrainingError
from nnc.runtimes import runtime_for
from nnc.runtimes.base import Runtime
from nnc.sandbox import SandboxError, SandboxLimits
from nnc.task import TaskSpec, spec_digest
from nnc.training import CheckpointState, load_checkpoint, model_digest
from nnc.training.checkpoints import Checkpoint, checkpoint_path, verify_state
from nnc.training.program_package import ProgramFiles
from nnc.verification.segments import choose_segments, segment_bounds
from nnc.zk import agreement_tag

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SegmentResult:
    index: int
    start: int
    end: int
    distance: float  # ||replayed - claimed|| / ||claimed|| over all weights
    passed: bool


@dataclass(frozen=True)
class VerificationReport:
    passed: bool
    reason: str  # "ok" or what failed first
    seed: int
    segments: list[SegmentResult] = field(default_factory=list)
    metric: float = math.nan
    replayed_steps: int = 0
    seconds: float = 0.0  # CPU time of the verifying process

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode()


def relative_distance(replayed: dict[str, torch.Tensor], claimed: dict[str, torch.Tensor]) -> float:
    """||replayed - claimed||₂ / ||claimed||₂ over all tensors (inf when their names differ)."""
    if replayed.keys() != claimed.keys():
        return math.inf
    if _same_weights(replayed, claimed):  # the usual case: deterministic CPU training
        return 0.0
    keys = sorted(claimed)
    want = torch.cat([claimed[k].detach().reshape(-1).double() for k in keys])
    got = torch.cat([replayed[k].detach().reshape(-1).double() for k in keys])
    return float(torch.linalg.vector_norm(got - want)) / max(float(torch.linalg.vector_norm(want)), 1e-12)

def verify_submission(
    spec: TaskSpec,
    workdir: Path,
    model_path: Path,
    result_digest: bytes,
    *,
    node: str | None,
    seed: int,
    segments: int,
    tolerance: float,
    snapshot: tuple[int, bytes] | None = None,
    tag_key: int | None = None,
    dataset_file: Path | None = None,
    files: ProgramFiles | None = None,
    limits: SandboxLimits | None = None,
) -> VerificationReport:
    """Runs the spot-check over the checkpoints in `workdir/checkpoints` and the model file.

    `node` is the trainer's address: its chain must start from that node's genesis, so checkpoints
    (and snapshots) another node chained fail the check. `result_digest` is what the chain holds for
    the trainer: its model digest, or, when results
    are zero-knowledge commitments, the agreement tag over that digest keyed by `tag_key` (the task's statement key).
    `dataset_file` is the fetched copy of a spec's dataset `uri`; `files` its fetched program
    package and init weights. A requester's program replays and evaluates in the sandbox (under
    `limits`); only the weights it returns cross over, and every check on them is made here.

    `snapshot` is the trainer's latest on-chain snapshot (step, chain head): the chain must pass
    through it. `tolerance` is the largest relative L2 distance accepted per segment.
    """
    started = time.process_time()

    def verdict(
        reason: str, checked: list[SegmentResult], metric: float = math.nan, steps: int = 0
    ) -> VerificationReport:
        report = VerificationReport(passed=reason == "ok", reason=reason, seed=seed, segments=checked, metric=metric,
                                    replayed_steps=steps, seconds=time.process_time() - started)
        log.info("spot-check of %s: %s (%d segment(s), %d steps replayed)", spec.name, reason, len(checked), steps)
        return report

    decimals = spec.determinism.digest_decimals
    bounds = segment_bounds(spec)
    try:
        last = load_checkpoint(checkpoint_path(workdir, spec.schedule.steps))
        verify_state(last, workdir, spec_digest(spec), decimals, node=node)
    except TrainingError as exc:
        return verdict(f"chain: {exc}", [])
    links = {link.step: link for link in last.history}
    if sorted(links) != [end for _, end in bounds]:
        return verdict(f"chain: checkpoint steps {sorted(links)} are not the spec's", [])
    if snapshot is not None and snapshot[0] != 0 and (
        snapshot[0] not in links or links[snapshot[0]].chain_head != snapshot[1].hex()
    ):
        return verdict(f"chain: does not pass through the on-chain snapshot at step {snapshot[0]}", [])
    try:
        model = torch.load(model_path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for unreadable files
        return verdict(f"model: unreadable ({exc})", [])
    committed = bytes.fromhex(last.history[-1].weights_digest)
    if tag_key is not None:
        committed = agreement_tag(tag_key, committed).to_bytes(32, "big")
    if result_digest != committed or not _same_weights(model, last.model):
        return verdict("model: differs from the committed result or the last checkpoint", [])

    try:
        runtime = runtime_for(spec, files, limits)
        data = runtime.load_data(spec, dataset_file)
    except (TrainingError, SandboxError) as exc:
        return verdict(f"program: {exc}", [])
    with closing(data) if hasattr(data, "close") else nullcontext():
        return _replay_and_evaluate(spec, runtime, data, workdir, last, links, model, seed, segments,
                                    tolerance, verdict)


def _replay_and_evaluate(spec: TaskSpec, runtime: Runtime, data: Any, workdir: Path, last: CheckpointState,
                         links: dict[int, Checkpoint], model: dict[str, torch.Tensor], seed: int, segments: int,
                         tolerance: float, verdict: Callable[..., VerificationReport]) -> VerificationReport:
    """Checks 3 and 4 (see the module's notes) with `runtime` on its loaded `data`."""
    decimals = spec.determinism.digest_decimals
    bounds = segment_bounds(spec)
    checked: list[SegmentResult] = []
    steps = 0
    for index in choose_segments(seed, len(bounds), segments):
        start, end = bounds[index]
        try:
            start_state = _linked_state(workdir, start, links[start].weights_digest, decimals) if start else None
            # the last checkpoint was checked against the chain above
            claimed = last.model if end == last.step else _linked_state(workdir, end, links[end].weights_digest,
                                                                         decimals).model
            replayed = runtime.replay(spec, start_state, end, data)
        except (TrainingError, SandboxError) as exc:
            return verdict(f"segment {start}->{end}: {exc}", checked, steps=steps)
        steps += end - start
        distance = relative_distance(replayed, claimed)
        checked.append(SegmentResult(index, start, end, distance, distance <= tolerance))
        if distance > tolerance:
            return verdict(f"segment {start}->{end}: distance {distance:.3g} above tolerance {tolerance:.3g}",
                           checked, steps=steps)

    try:
        metric = runtime.evaluate(spec, model, data)
    except (TrainingError, SandboxError) as exc:
        return verdict(f"model: {exc}", checked, steps=steps)
    if not spec.goal.accepts(metric):
        return verdict(f"acceptance: {spec.goal.metric} {metric:.4f} misses {spec.goal.threshold}",
                       checked, metric, steps)
    return verdict("ok", checked, metric, steps)


def _same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _linked_state(workdir: Path, step: int, weights_digest: str, decimals: int) -> CheckpointState:
    """The checkpoint file at `step`, whose weights must have the digest the chain records."""
    state = load_checkpoint(checkpoint_path(workdir, step))
    if state.step != step or model_digest(state.model, decimals).hex() != weights_digest:
        raise TrainingError(f"checkpoint at step {step} is not the one in the chain")
    return state
