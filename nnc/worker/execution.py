"""Carrying out tasks: training an assigned task (or running an inference task's model over its
inputs), storing its model (or outputs) and submitting its digest,
revealing where the model lives once every result is committed, running the spot-checks this
node was picked for, and giving up a task it cannot carry out.

A task this node cannot carry out (it breaks a resource limit, its spec or data are invalid, or
something else fails for good) is given up on-chain (`abandon`): the node drops out and loses only
the abandon penalty, not the whole collateral an expiry would take; the other assignees go on.
Failures that may pass (the chain or a storage service away) are retried instead. Every step asks
the chain first, so a restart never sends a transaction twice.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from nnc.chain.client import TRANSIENT_ERRORS
from nnc.chain.dispute import CheckStatus
from nnc.chain.market import REVEAL_STATUSES
from nnc.chain.types import AbandonReason, Bond
from nnc.daemon import StopFlag
from nnc.errors import ContractRevertError, NNCError, ResourceLimitError, ServiceUnavailableError, TrainingError
from nnc.inference import run_inference
from nnc.inference.sandboxed import run_sandboxed
from nnc.library import fetch_task_files
from nnc.runtimes.dispatch import train
from nnc.task import TaskSpec
from nnc.training import TrainingResult
from nnc.training.data import fetch_dataset
from nnc.training.program_package import ProgramFiles
from nnc.verification.bundle import publish_bundle
from nnc.verification.verifier import Verifier
from nnc.worker.intake import fetch_spec
from nnc.worker.node import Node
from nnc.worker.privacy import model_recipients, seal_model
from nnc.worker.reporting import RUNNABLE, SnapshotPoster, TaskClosedError, abandon_reason
from nnc.worker.rounds import Rounds
from nnc.worker.sandboxed_training import run_training
from nnc.worker.state import Phase

# the worker daemon's lines share one logger, whichever role writes them (operators filter on it)
log = logging.getLogger("nnc.worker.daemon")


class Execution:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.verifier = Verifier(node.client, node.store, node.home, node.sandbox_limits())
        self.rounds = Rounds(node)

    def work(self, stop: StopFlag) -> None:
        """Executes the assigned tasks, reveals the submitted ones, runs the picked spot-checks."""
        n = self.node
        for task_id in n.state.in_phase(Phase.ASSIGNED):
            if stop.is_set:
                return
            with n.context(task_id):
                self.execute(task_id)
        for task_id in n.state.in_phase(Phase.SUBMITTED):
            if stop.is_set:
                return
            if not n.state.tasks[task_id].revealed:
                with n.context(task_id):
                    self.reveal(task_id)
        for task_id in list(n.state.checks):
            if stop.is_set:
                return
            with n.context(task_id):
                self.verify(task_id)

    def verify(self, task_id: int) -> None:
        """Runs a spot-check this node was picked for (once: the chain is asked first)."""
        n = self.node
        try:
            if self.verifier.is_mine(task_id):
                self.verifier.verify(task_id)
        except (NNCError, OSError) as exc:
            if isinstance(exc, TRANSIENT_ERRORS):
                raise
            log.error("task %d: %s could not verify: %s", task_id, n.tag, exc)
        n.state.checks.remove(task_id)
        n.state.save()

    def train(self, spec: TaskSpec, workdir: Path, *, task_id: int | None = None, **options: Any) -> TrainingResult:
        """Trains as this node (its chain starts from its own genesis, `chain_genesis(spec, node)`)
        in the sandbox (settings `sandbox`, on by default; in the child started ahead for `task_id`
        if one waits) or, when it is off, in process."""
        n = self.node
        if not n.settings.sandbox:
            if spec.program is not None:
                raise TrainingError(f"{spec.name!r} runs a requester's program, which this node runs only in "
                                    f"the sandbox (settings: sandbox is off)")
            try:
                return train(spec, workdir, node=n.address, **options)
            except MemoryError:
                raise ResourceLimitError(f"training {spec.name!r} ran out of memory (in process)") from None
        warm = n.standby.take(task_id) if task_id is not None else None
        return run_training(spec, workdir, n.sandbox_limits(), node=n.address, warm=warm, **options)

    def execute(self, task_id: int) -> None:
        """Trains an assigned task, stores the model and submits its digest (once)."""
        n = self.node
        record = n.state.tasks[task_id]
        if any(n.market.result_of(task_id, n.address)):
            n.state.set(task_id, Phase.SUBMITTED, spec_uri=record.spec_uri)
            return
        task = n.market.task(task_id)
        if task.status not in RUNNABLE or n.client.block_timestamp() > task.deadline:
            n.state.set(task_id, Phase.FAILED, f"task is {task.status.name.lower()}, deadline {task.deadline}")
            return
        try:
            spec = fetch_spec(n.store, task_id, record.spec_uri, "0x" + task.spec_digest.hex())
            workdir = n.workdir(task_id)
            dataset_file = n.key.open_dataset(fetch_dataset(spec, n.store, workdir, n.dataset_cache))
            files = fetch_task_files(spec, n.client, n.store, n.home / "cache", n.key.private)
            if spec.inference is not None:
                result_digest, result_uri, summary = self.run_inference(task_id, spec, workdir, dataset_file, files)
            elif spec.parallel is not None:  # trained with the other nodes, round by round (nnc.worker.rounds)
                outcome = self.rounds.advance(task_id, spec, workdir, dataset_file, files)
                if outcome is None:
                    return  # a round is under way: on again at the next pass
                result_digest, result_uri, summary = outcome
            else:
                result_digest, result_uri, summary = self.run_training(task_id, spec, workdir, dataset_file, files)
            # kept before sending: a restart after the commitment still knows what to reveal
            n.state.set(task_id, Phase.ASSIGNED, spec_uri=record.spec_uri,
                        result_digest="0x" + result_digest.hex(), result_uri=result_uri)
            n.market.submit_result(task_id, result_digest, result_uri)
        except TaskClosedError as exc:  # nothing to give up: the chain closed the task
            log.warning("%s", exc)
            n.state.set(task_id, Phase.FAILED, str(exc), spec_uri=record.spec_uri)
            return
        except (NNCError, OSError) as exc:
            if isinstance(exc, (*TRANSIENT_ERRORS, ServiceUnavailableError)):
                raise  # waited out with back-off; the task stays assigned and resumes from its checkpoints
            if isinstance(exc, ContractRevertError) and self.lost_race(task_id, exc):
                return
            log.error("task %d: %s failed: %s", task_id, n.tag, exc)
            self.give_up(task_id, abandon_reason(exc), str(exc))
            return
        n.state.set(task_id, Phase.SUBMITTED, spec_uri=record.spec_uri,
                    result_digest="0x" + result_digest.hex(), result_uri=result_uri,
                    revealed=n.market.participation(task_id, n.address).revealed)
        log.info("task %d: %s submitted digest 0x%s… (%s)", task_id, n.tag, result_digest.hex()[:12], summary)

    def lost_race(self, task_id: int, exc: ContractRevertError) -> bool:
        """True (logged at INFO, the task recorded failed) when the result was refused because the
        task moved on meanwhile (it expired, or its deadline passed, in a block before this node's
        transaction): an expected outcome, nothing to give up. False: a real refusal."""
        n = self.node
        task = n.market.task(task_id)
        if task.status in RUNNABLE and n.client.block_timestamp() <= task.deadline:
            return False
        log.info("task %d: %s lost the race: the task is %s (deadline %d) and refused the result (%s)", task_id,
                 n.tag, task.status.name.lower(), task.deadline, exc.name or exc)
        n.state.set(task_id, Phase.FAILED, f"task {task.status.name.lower()} before the result was in ({exc.name})",
                    spec_uri=n.state.tasks[task_id].spec_uri)
        return True

    def run_training(self, task_id: int, spec: TaskSpec, workdir: Path, dataset_file: Path | None,
                     files: ProgramFiles) -> tuple[bytes, str, str]:
        """Trains the task and stores its model (sealed when private) or, when it is spot-checked,
        its checkpoint bundle; returns (result digest, result URI, a summary for the log)."""
        n = self.node
        log.info("task %d: %s training %s (%d steps)", task_id, n.tag, spec.name, spec.schedule.steps)
        snapshots = SnapshotPoster(n.market, task_id, n.address)

        def progress(step: int, loss: float) -> None:
            log.debug("task %d: step %d/%d loss %.4f", task_id, step, spec.schedule.steps, loss)
            snapshots.progress(step)  # stops the training once the task left Assigned/Running

        result = self.train(spec, workdir, task_id=task_id, dataset_file=dataset_file, files=files,
                            on_checkpoint=snapshots.post, on_progress=progress)
        n.metrics.training_steps.inc(result.steps - result.resumed_from)
        if n.spot_check.check(task_id).status != CheckStatus.NONE:  # verifiers need the checkpoints
            model_uri = publish_bundle(n.store, workdir, result.model_path)
        else:
            model_path = result.model_path
            if spec.privacy is not None:
                model_path = seal_model(model_path, model_recipients(spec, n.key))
            model_uri = n.archive.put_file(model_path)
        return result.result_digest, model_uri, f"accuracy {result.metric:.3f}, {result.seconds:.1f} s"

    def run_inference(self, task_id: int, spec: TaskSpec, workdir: Path, dataset_file: Path | None,
                      files: ProgramFiles) -> tuple[bytes, str, str]:
        """Runs the model over the task's input shards (in the sandbox unless it is off) and stores
        the outputs file: sealed to the requester and this node when the task is private, unless
        it is spot-checked (the drawn verifier must read the outputs it re-runs shards of)."""
        n = self.node
        assert spec.inference is not None
        shards = spec.inference.shards
        log.info("task %d: %s running %s over %d input(s) in %d shard(s)", task_id, n.tag, spec.name,
                 spec.inference.inputs, shards)

        def progress(shard: int, digest: bytes) -> None:
            log.debug("task %d: shard %d/%d digest %s…", task_id, shard + 1, shards, digest.hex()[:12])

        if n.settings.sandbox:
            result = run_sandboxed(spec, workdir, n.sandbox_limits(), dataset_file=dataset_file, files=files,
                                   on_shard=progress, warm=n.standby.take(task_id))
        elif spec.program is not None:
            raise TrainingError(f"{spec.name!r} runs a requester's program, which this node runs only in "
                                f"the sandbox (settings: sandbox is off)")
        else:
            result = run_inference(spec, workdir, dataset_file=dataset_file, files=files, on_shard=progress)
        outputs = result.outputs_path
        if spec.privacy is not None and n.spot_check.check(task_id).status == CheckStatus.NONE:
            outputs = seal_model(outputs, model_recipients(spec, n.key))
        return result.result_digest, n.archive.put_file(outputs), f"{shards} shard(s), {result.seconds:.1f} s"

    def reveal(self, task_id: int) -> None:
        """Publishes where this node's model lives once every active result of the task is
        committed (the market hides results until then, so no replica can copy another's). A
        winner that never reveals is not paid. The chain is asked first: safe after a restart."""
        n = self.node
        record = n.state.tasks[task_id]
        if not record.result_uri:
            return  # submitted before this worker kept URIs: nothing to reveal
        try:
            if n.market.task(task_id).status not in REVEAL_STATUSES:
                return  # other replicas are still working (one read a round), or the task moved on
            p = n.market.participation(task_id, n.address)
            if not p.revealed:
                if not p.submitted or p.bond != Bond.LOCKED:
                    return  # out of the task (slashed or frozen): nothing to reveal for
                n.market.reveal(task_id, record.result_uri)
                log.info("task %d: %s revealed its result at %s", task_id, n.tag, record.result_uri)
        except ContractRevertError as exc:
            log.warning("task %d: %s could not reveal its result: %s", task_id, n.tag, exc)
            return
        n.state.set(task_id, record.phase, record.reason, revealed=True)

    def give_up(self, task_id: int, reason: AbandonReason, cause: str) -> None:
        """Abandons a task this node cannot carry out, then records it failed (with `cause`).

        The chain is asked first, so a restart after the transaction sends nothing twice: only a
        task still Assigned or Running, before its deadline, without this node's result, is
        abandoned. A refusal is logged; the task is recorded failed either way.
        """
        n = self.node
        record = n.state.tasks[task_id]
        task = n.market.task(task_id)
        if (task.status in RUNNABLE and n.client.block_timestamp() <= task.deadline
                and not any(n.market.result_of(task_id, n.address))):
            try:
                n.market.abandon(task_id, reason)
                log.warning("task %d: %s gave it up on-chain (%s)", task_id, n.tag, reason.name.lower())
            except ContractRevertError as exc:
                log.error("task %d: %s could not give it up: %s", task_id, n.tag, exc)
        n.state.set(task_id, Phase.FAILED, cause, spec_uri=record.spec_uri)
