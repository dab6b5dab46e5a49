"""The verifier's side of a spot-check: gather the trainer's evidence, run the procedure, report.

Used by the worker daemon when the SpotCheck contract picks its node, and by DAO jurors who want
to repeat a check before they vote (`judge`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from nnc.chain.client import ChainClient
from nnc.chain.dispute import CheckStatus, SpotCheck
from nnc.chain.market import Market
from nnc.errors import StorageError, TaskSpecError, TrainingError, VerificationError
from nnc.library import fetch_task_files
from nnc.sandbox import SandboxLimits
from nnc.storage import Store
from nnc.task import TaskSpec
from nnc.task.publish import published_spec
from nnc.training.data import fetch_dataset
from nnc.training.program_package import ProgramFiles
from nnc.verification.bundle import fetch_bundle
from nnc.verification.inference import verify_outputs
from nnc.verification.procedure import VerificationReport, verify_submission
from nnc.verification.round_check import check_round

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Evidence:
    """What a trainer committed for a task, downloaded and hash-checked."""

    spec: TaskSpec
    workdir: Path
    model_path: Path  # an inference task's: its outputs file
    result_digest: bytes
    snapshot: tuple[int, bytes]
    trainer: str  # the node whose result this is: its chain starts from that node's genesis
    tag_key: int | None = None  # the task's statement key when `result_digest` is its zk agreement tag
    dataset_file: Path | None = None  # the fetched copy of the spec's dataset uri, if it names one
    files: ProgramFiles = ProgramFiles()  # the spec's program package and init weights, fetched and checked


def gather_evidence(client: ChainClient, store: Store, task_id: int, trainer: str, dest: Path,
                    cache: Path | None = None) -> Evidence:
    """The spec (checked against the on-chain digest), the trainer's bundle, digest and snapshot,
    the dataset, and the spec's program and init weights or base model (cached by digest under
    `cache`, by default `dest`)."""
    market = Market(client)
    try:
        _, spec = published_spec(market, store, task_id)
    except TaskSpecError as exc:
        raise VerificationError(str(exc)) from None
    revealed = market.revealed_results(task_id, trainer)
    if not revealed:
        raise VerificationError(f"task {task_id}: no result revealed by {trainer} (yet)")
    result_uri = revealed[-1][1]
    if spec.is_inference:  # the result is the outputs file itself: no checkpoints, no snapshots
        dest.mkdir(parents=True, exist_ok=True)
        workdir, model_path, snapshot = dest, store.get_file(result_uri, dest / "outputs.npz"), (0, bytes(32))
    else:
        workdir, model_path = fetch_bundle(store, result_uri, dest)
        latest = market.latest_snapshot(task_id, trainer)
        snapshot = (latest.step, latest.chain_head)
    return Evidence(spec, workdir, model_path, market.result_of(task_id, trainer), snapshot,
                    trainer, market.agreement_key(task_id), fetch_dataset(spec, store, dest),
                    fetch_task_files(spec, client, store, cache or dest))


def check_evidence(evidence: Evidence, seed: int, segments: int, tolerance: float,
                   limits: SandboxLimits | None = None) -> VerificationReport:
    """The spot-check of `evidence`; a requester's program replays in the sandbox under `limits`.
    An inference task's evidence is its outputs file (`model_path`): chosen shards re-run."""
    if evidence.spec.is_inference:
        return verify_outputs(evidence.spec, evidence.model_path, evidence.result_digest, seed=seed, shards=segments,
                              tolerance=tolerance, tag_key=evidence.tag_key,
                              dataset_file=evidence.dataset_file, files=evidence.files, limits=limits,
                              scratch=evidence.workdir / "rerun")
    return verify_submission(evidence.spec, evidence.workdir, evidence.model_path, evidence.result_digest,
                             node=evidence.trainer, seed=seed, segments=segments, tolerance=tolerance,
                             snapshot=evidence.snapshot, tag_key=evidence.tag_key,
                             dataset_file=evidence.dataset_file, files=evidence.files, limits=limits)


class Verifier:
    """One node's verifier role."""

    def __init__(self, client: ChainClient, store: Store, home: Path, limits: SandboxLimits | None = None) -> None:
        self.client = client
        self.store = store
        self.home = home
        self.limits = limits
        self.spot_check = SpotCheck(client)

    def is_mine(self, task_id: int) -> bool:
        check = self.spot_check.check(task_id)
        return check.status == CheckStatus.VERIFYING and check.verifier.lower() == self.client.address.lower()

    def verify(self, task_id: int) -> VerificationReport:
        """Runs the spot-check this node was picked for, stores the report and reports on-chain."""
        check = self.spot_check.check(task_id)
        if not self.is_mine(task_id):
            raise VerificationError(f"task {task_id}: {self.client.address} is not its pending verifier")
        workdir = self.home / "verify" / str(task_id)
        if check.by_rounds:  # a data-parallel task: replay the drawn (node, round)
            report = check_round(self.client, self.store, task_id, check.trainer, check.round, workdir, check.seed)
        else:
            try:
                evidence = gather_evidence(self.client, self.store, task_id, check.trainer, workdir,
                                           self.home / "cache")
            except (VerificationError, StorageError, TrainingError) as exc:  # no usable evidence: a failed check
                report = VerificationReport(passed=False, reason=f"evidence: {exc}", seed=check.seed)
            else:
                report = check_evidence(evidence, check.seed, check.segments, check.tolerance, self.limits)
        report_uri = self.store.put_bytes(report.to_json())
        self.spot_check.report(task_id, report.passed, report_uri)
        log.info("task %d: verifier %s reported %s (%s)", task_id, self.client.address[:10],
                 "pass" if report.passed else "FAIL", report.reason)
        return report


def judge(client: ChainClient, store: Store, task_id: int, node: str, home: Path, seed: int,
          segments: int, tolerance: float) -> VerificationReport:
    """A juror's own spot-check of `node`'s result (with a seed of the juror's choosing)."""
    evidence = gather_evidence(client, store, task_id, node, home / "judge" / str(task_id), home / "cache")
    return check_evidence(evidence, seed, segments, tolerance)
