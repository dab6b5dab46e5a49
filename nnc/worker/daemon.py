"""The worker daemon: a node that applies for tasks, trains them and submits the results.

One loop over an explicit, persisted state (`WorkerState`): read new events, record what they
mean for this node, then carry out assigned tasks. Every handler is safe to run twice, and the
chain is asked before any transaction that might already have gone through before a restart.

Applying locks the task's collateral, so the node applies only while its free stake covers it,
and only for tasks it can finish before the deadline by its own estimate (its benchmark and the
task's compute units, with `deadline_margin` to spare): a missed deadline costs the whole
collateral.

A task this node cannot carry out (it breaks a resource limit, its spec or data are invalid, or
something else fails for good) is given up on-chain (`abandon`): the node drops out and loses only
the abandon penalty, not the whole collateral an expiry would take; the other assignees go on.
Failures that may pass (the chain or a storage service away) are retried instead.

After submitting, the record stays SUBMITTED through the challenge window, a tie (Verifying,
every replica paid after the tie window) or a dispute, until the task ends; what happens to this
node's collateral (released, frozen as an outvoted node until its window closes, slashed) is logged.
"""

from __future__ import annotations

import hashlib
import json
import logging
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from web3.exceptions import BlockNotFound

from nnc.chain.client import TRANSIENT_ERRORS, ChainClient
from nnc.chain.dispute import CheckStatus, SpotCheck
from nnc.chain.events import ChainEvent, EventReader
from nnc.chain.market import REVEAL_STATUSES, Market
from nnc.chain.registry import Registry
from nnc.chain.types import ETH, AbandonReason, Bond, TaskStatus
from nnc.daemon import Backoff, StopFlag
from nnc.errors import (
    ContractRevertError,
    NNCError,
    ResourceLimitError,
    ServiceUnavailableError,
    StorageError,
    TaskSpecError,
)
from nnc.jsonfile import write_json_atomic
from nnc.logs import log_context
from nnc.metrics import DaemonMetrics
from nnc.node.estimate import estimate_training_seconds, format_seconds
from nnc.node.profile import collect_profile, hardware_class, profile_digest, profile_json
from nnc.runtimes import offered_runtimes
from nnc.runtimes.dispatch import train
from nnc.settings import Settings
from nnc.storage import Store
from nnc.task import TaskSpec, compute_units, parse_spec
from nnc.training import TrainingResult
from nnc.training.data import fetch_dataset
from nnc.verification.bundle import publish_bundle
from nnc.verification.verifier import Verifier
from nnc.worker.privacy import NodeKey, model_recipients, seal_model
from nnc.worker.reporting import SnapshotPoster, abandon_reason
from nnc.worker.sandbox import SandboxLimits
from nnc.worker.sandboxed_training import run_training
from nnc.worker.standby import Standby
from nnc.worker.state import Phase, WorkerState

log = logging.getLogger(__name__)

FINAL_PHASES = frozenset({Phase.DONE, Phase.SKIPPED, Phase.FAILED})
RUNNABLE = frozenset({TaskStatus.ASSIGNED, TaskStatus.RUNNING})
class Worker:
    """`store` holds working data (specs, datasets, profiles); `archive`, when given, the final
    models (Arweave on a full deployment), else `store` does."""

    def __init__(self, settings: Settings, client: ChainClient, store: Store, archive: Store | None = None) -> None:
        assert client.deployment is not None
        self.settings = settings
        self.client = client
        self.store = store
        self.archive = archive or store
        self.market = Market(client)
        self.registry = Registry(client)
        self.node = client.address
        self.home = settings.data_dir / "worker" / self.node.lower()
        self.state = WorkerState.load(self.home / "state.json", client.deployment.start_block)
        self.key = NodeKey(settings.encryption_key_file or self.home / "encryption.key")
        self.reader = EventReader(client.w3, client.artifacts, client.deployment, settings.log_range)
        self.tag = f"node {self.node[:10]}"
        self.runtimes = offered_runtimes(settings.runtimes)
        self.standby = Standby(settings.sandbox_standby if settings.sandbox else 0)
        self.metrics = DaemonMetrics("worker")
        self.metrics.watch(client)
        self.spot_check = SpotCheck(client)
        self.verifier = Verifier(client, store, self.home)
        self.matmul_gflops: float | None = None  # this node's benchmark, measured by `join` (or when first needed)

    def context(self, task_id: int | None = None) -> AbstractContextManager[None]:
        """The log context of this daemon's lines: its node address and, when given, the task."""
        return log_context(daemon="worker", node=self.node, task_id=task_id)

    # -- joining the network ---------------------------------------------------------------

    def join(self, stake: int, benchmark_seconds: float = 1.0, price: int | None = None) -> None:
        """Registers the measured hardware profile, tops the stake up to `stake`, sets the price.

        `price` is per compute unit, in wei, for ETH-paid tasks (None leaves it as it is).

        The profile document is stored content-addressed, so its on-chain digest resolves. A
        registered node re-registers its profile only when its hardware class changed: the
        benchmark figures inside the profile vary from run to run, or when the runtimes it offers
        changed (an operator installed or dropped a framework).
        """
        with self.context():
            self._join(stake, benchmark_seconds, price)

    def _join(self, stake: int, benchmark_seconds: float, price: int | None) -> None:
        profile = collect_profile(benchmark_seconds, self.runtimes)
        self.matmul_gflops = profile.benchmark.matmul_gflops
        digest, hw_class = profile_digest(profile), hardware_class(profile)
        node = self.registry.node(self.node)
        registered_runtimes = self.home / "runtimes.json"
        runtimes_changed = (not registered_runtimes.is_file()
                            or json.loads(registered_runtimes.read_text()) != profile.runtimes)
        if not node.registered or node.hardware_class != hw_class or runtimes_changed:
            self.store.put_bytes(profile_json(profile))
            if node.registered:
                self.registry.update_profile(digest, hw_class)
            else:
                self.registry.register(digest, hw_class)
            write_json_atomic(registered_runtimes, profile.runtimes)
            log.info("%s: profile 0x%s… registered, hardware class %d, matmul %.1f GFLOPS, runtimes %s", self.tag,
                     digest.hex()[:12], hw_class, profile.benchmark.matmul_gflops, ", ".join(profile.runtimes))
        node = self.registry.node(self.node)
        if node.staked < stake:
            self.registry.stake(stake - node.staked)
            log.info("%s: staked %d more NNT-wei (total %d)", self.tag, stake - node.staked, stake)
        self.key.register(self.registry, self.node)
        if price is not None and self.registry.price_of(self.node, ETH) != price:
            self.registry.set_price(ETH, price)
            log.info("%s: price %d wei per compute unit", self.tag, price)
        if not self.spot_check.in_pool(self.node) and self.registry.is_eligible(self.node, 0, 0):
            self.spot_check.join()
            log.info("%s: joined the spot-check verifier pool", self.tag)

    # -- the loop --------------------------------------------------------------------------

    def run(self, stop: StopFlag) -> None:
        with self.context():
            log.info("%s: watching from block %d", self.tag, self.state.last_block + 1)
            backoff = Backoff()
            while not stop.is_set:
                try:
                    self.sync()
                    self.work(stop)
                    backoff.succeeded()
                    delay = self.settings.poll_interval
                except TRANSIENT_ERRORS as exc:
                    delay = backoff.failed()
                    self.metrics.rpc_errors.inc()
                    log.warning("%s: chain unavailable (%s); retrying in %.1f s", self.tag, exc, delay)
                except NNCError:  # a bug or an unexpected answer: report it, keep the daemon alive
                    delay = backoff.failed()
                    log.exception("%s: step failed; retrying in %.1f s", self.tag, delay)
                stop.sleep(delay)
            self.standby.close()
            log.info("%s: stopped at block %d", self.tag, self.state.last_block)

    def sync(self) -> None:
        """Handles every confirmed event not handled yet. After a chain reorganisation deeper than
        `confirmations` it rewinds to the newest remembered head still on the chain and handles the
        events from there again (handling is idempotent: the chain is asked before acting)."""
        self._rewind_if_reorganised()
        head = self.client.block_number() - self.settings.confirmations
        start = self.state.last_block + 1
        if head < start:
            return
        for event in self.reader.read(start, head):
            with self.context(event.task_id):
                self.handle(event)
            self.metrics.events.inc()
        self.state.last_block = head
        head_hash = self._block_hash(head)
        if head_hash is not None:
            self.state.remember_head(head, head_hash)
        self.state.save()
        self.metrics.last_block.set(head)
        self.metrics.set_task_states(record.phase.value for record in self.state.tasks.values())

    def _block_hash(self, number: int) -> str | None:
        try:
            block = self.client.w3.eth.get_block(number)
        except BlockNotFound:
            return None
        return "0x" + bytes(block["hash"]).hex() if block and block.get("hash") else None

    def _rewind_if_reorganised(self) -> None:
        known = self.state.block_hashes
        if not known or self._block_hash(max(known)) == known[max(known)]:
            return
        assert self.client.deployment is not None
        rewind_to = self.client.deployment.start_block - 1  # nothing remembered survives: read it all again
        for block in sorted(known, reverse=True):
            if self._block_hash(block) == known[block]:
                rewind_to = block
                break
        undone = sorted(t for t, block in self.state.touched.items() if block > rewind_to)
        if rewind_to < min(known):  # deeper than every remembered head: reconcile every open task
            undone = sorted(t for t, r in self.state.tasks.items() if r.phase not in FINAL_PHASES)
        log.warning("%s: block %d is no longer on the chain (reorganisation): handling events again from "
                    "block %d; reconciling task(s) %s with the chain", self.tag, max(known), rewind_to + 1, undone)
        self.state.block_hashes = {b: h for b, h in known.items() if b <= rewind_to}
        self.state.last_block = rewind_to
        self.state.save()
        for task_id in undone:
            self.reconcile(task_id)

    def reconcile(self, task_id: int) -> None:
        """Re-derives a task's record from the chain as it is now (after a reorganisation undid the
        events it was built from): submitted, assigned, applied, or considered afresh."""
        record = self.state.tasks.get(task_id)
        self.state.touched.pop(task_id, None)
        if record is None:
            return
        if task_id > self.market.task_count():  # its publication was undone: forget it until it is re-published
            del self.state.tasks[task_id]
            self.state.save()
            return
        task = self.market.task(task_id)
        me = self.node.lower()
        if me in {a.lower() for a in self.market.assignees(task_id)}:
            if any(self.market.result_of(task_id, self.node)):
                self.state.set(task_id, Phase.DONE if task.status.is_final else Phase.SUBMITTED, record.reason)
            elif task.status in (TaskStatus.ASSIGNED, TaskStatus.RUNNING):
                self.state.set(task_id, Phase.ASSIGNED, spec_uri=record.spec_uri)
            else:
                self.state.set(task_id, Phase.DONE, task.status.name.lower())
        elif me in {a.lower() for a in self.market.applicants(task_id)}:
            self.state.set(task_id, Phase.APPLIED if task.status == TaskStatus.PUBLISHED else Phase.DONE,
                           spec_uri=record.spec_uri)
        elif task.status == TaskStatus.PUBLISHED:
            del self.state.tasks[task_id]
            self.consider(task_id, {"specURI": record.spec_uri, "specDigest": "0x" + task.spec_digest.hex()})
        else:
            self.state.set(task_id, Phase.DONE, "assigned to others")
        log.info("task %d: %s reconciled after the reorganisation: %s", task_id, self.tag,
                 self.state.tasks[task_id].phase.value if task_id in self.state.tasks else "forgotten")

    def handle(self, event: ChainEvent) -> None:
        if event.name == "NodePaid" and str(event.args.get("node", "")).lower() == self.node.lower():
            token = self.market.task(int(event.args["taskId"])).token
            self.metrics.earnings.labels(token).inc(int(event.args["amount"]))
        if event.contract == "SpotCheck" and event.name == "VerifierPicked":
            task_id = int(event.args["taskId"])
            if str(event.args["verifier"]).lower() == self.node.lower() and task_id not in self.state.checks:
                self.state.checks.append(task_id)
                self.state.save()
                log.info("task %d: %s picked as verifier", task_id, self.tag)
            return
        if event.contract != "TaskMarket" or "taskId" not in event.args:
            return
        task_id = int(event.args["taskId"])
        record = self.state.tasks.get(task_id)
        self.state.touched[task_id] = event.block_number
        if str(event.args.get("node", "")).lower() == self.node.lower():
            self._handle_own_seat(task_id, event)
        if event.name == "TaskPublished":
            if record is None:
                self.consider(task_id, event.args)
        elif event.name == "TaskAssigned" and record is not None and record.phase == Phase.APPLIED:
            mine = self.node.lower() in {n.lower() for n in event.args["nodes"]}
            if mine:
                self.state.set(task_id, Phase.ASSIGNED, spec_uri=record.spec_uri)
                log.info("task %d: %s assigned", task_id, self.tag)
            else:
                self.standby.discard(task_id)
                self.state.set(task_id, Phase.DONE, "assigned to other nodes")
        elif event.name == "TaskStatusChanged" and record is not None and record.phase not in FINAL_PHASES:
            to = TaskStatus(event.args["to"])
            if to.is_final:
                self.standby.discard(task_id)
                self.state.set(task_id, Phase.DONE, to.name.lower(), result_digest=record.result_digest,
                               result_uri=record.result_uri)
                log.info("task %d: %s", task_id, to.name.lower())

    def _handle_own_seat(self, task_id: int, event: ChainEvent) -> None:
        """Logs and records what an event says about this node's own seat in a task."""
        record = self.state.tasks.get(task_id)
        a = event.args
        if event.name == "ApplicantDropped":
            log.warning("task %d: %s dropped as an applicant (no longer eligible): %d NNT-wei forfeited", task_id,
                        self.tag, int(a["forfeited"]))
            if record is not None and record.phase == Phase.APPLIED:
                self.standby.discard(task_id)
                self.state.set(task_id, Phase.DONE, "dropped as an applicant (no longer eligible)")
        elif event.name == "NodeMissed":
            log.error("task %d: %s missed the deadline: %d NNT-wei collateral lost", task_id, self.tag,
                      int(a["slashed"]))
            if record is not None and record.phase not in FINAL_PHASES:
                self.standby.discard(task_id)
                self.state.set(task_id, Phase.FAILED, "missed the deadline (collateral lost)",
                               spec_uri=record.spec_uri)
        elif event.name == "NodeFrozen":
            log.warning("task %d: %s was outvoted: its collateral is frozen until %d (open to a challenge), "
                        "then released", task_id, self.tag, int(a["until"]))
        elif event.name == "NodeSlashed":
            log.error("task %d: %s was slashed by arbitration: %d NNT-wei collateral lost", task_id, self.tag,
                      int(a["collateral"]))
        elif event.name == "BondChanged" and Bond(a["to"]) == Bond.RELEASED and Bond(a["from"]) in (
                Bond.FROZEN, Bond.HELD):
            log.info("task %d: %s collateral released after its freeze window", task_id, self.tag)

    def consider(self, task_id: int, published: dict[str, Any]) -> None:
        """Applies for a newly published task if this node can and may run it."""
        spec_uri = str(published["specURI"])
        try:
            spec = self.fetch_spec(task_id, spec_uri, str(published["specDigest"]))
            if spec.framework not in self.runtimes:
                raise TaskSpecError(f"framework {spec.framework!r} is not among this node's runtimes "
                                    f"({', '.join(self.runtimes)})")
            if spec.privacy is not None and not self.key.can_read(
                    fetch_dataset(spec, self.store, self.workdir(task_id))):
                raise TaskSpecError("its private dataset is not encrypted to this node's key")
            task = self.market.task(task_id)
            if compute_units(spec) != task.compute_units:
                raise TaskSpecError(f"the task declares {task.compute_units} compute units, "
                                    f"its spec costs {compute_units(spec)}")
            if task.status != TaskStatus.PUBLISHED or self.client.block_timestamp() >= task.apply_deadline:
                self.state.set(task_id, Phase.SKIPPED, "applications closed", spec_uri=spec_uri)
                return
            refusal = self._refusal(task_id, spec, task.collateral, task.min_hardware_class, task.compute_units,
                                    task.apply_deadline, task.deadline)
            if refusal is not None:
                log.info("task %d: %s does not apply: %s", task_id, self.tag, refusal)
                self.state.set(task_id, Phase.SKIPPED, refusal, spec_uri=spec_uri)
                return
            self.market.apply(task_id)
        except (TaskSpecError, StorageError) as exc:
            log.warning("task %d: %s skips it: %s", task_id, self.tag, exc)
            self.state.set(task_id, Phase.SKIPPED, str(exc), spec_uri=spec_uri)
            return
        except ContractRevertError as exc:
            if exc.name != "AlreadyApplied":  # a restart after applying: the application stands
                log.info("task %d: %s could not apply: %s", task_id, self.tag, exc)
                self.state.set(task_id, Phase.SKIPPED, str(exc), spec_uri=spec_uri)
                return
        self.state.set(task_id, Phase.APPLIED, spec_uri=spec_uri)
        log.info("task %d: %s applied", task_id, self.tag)
        self.standby.prepare(task_id, spec, self.workdir(task_id), self.sandbox_limits())

    def _refusal(self, task_id: int, spec: TaskSpec, collateral: int, min_hardware_class: int, units: int,
                 apply_deadline: int, deadline: int) -> str | None:
        """Why this node must not apply for a task (None: it may). Applying locks `collateral` of
        the free stake until assignment (or settlement, if assigned), and a missed deadline loses
        all of it, so the node wants the free stake and the time."""
        node = self.registry.node(self.node)
        free = node.staked - node.locked
        if free < collateral:
            return f"free stake {free} NNT-wei cannot cover the collateral {collateral} (locked {node.locked})"
        if not self.registry.is_eligible(self.node, collateral, min_hardware_class):
            return "not eligible (stake or hardware class)"
        if self.matmul_gflops is None:
            from nnc.node.profile import measure_benchmark  # imports torch

            self.matmul_gflops = measure_benchmark(0.2).matmul_gflops
        estimate = estimate_training_seconds(units, spec.training.steps, self.matmul_gflops)
        window = deadline - max(apply_deadline, self.client.block_timestamp())
        log.debug("task %d: %s estimates %s of training (%.1f GFLOPS), %s between assignment and the deadline",
                  task_id, self.tag, format_seconds(estimate), self.matmul_gflops, format_seconds(window))
        if estimate * self.settings.deadline_margin > window:
            return (f"cannot finish before the deadline: about {format_seconds(estimate)} of training by this "
                    f"node's estimate (x{self.settings.deadline_margin:g} margin), {format_seconds(window)} "
                    f"between the application deadline and the task's")
        return None

    def sandbox_limits(self) -> SandboxLimits:
        cpus = tuple(self.settings.sandbox_cpus) if self.settings.sandbox_cpus else None
        return SandboxLimits(memory_mb=self.settings.sandbox_memory_mb, seconds=self.settings.sandbox_seconds,
                             cpus=cpus)

    def train(self, spec: TaskSpec, workdir: Path, *, task_id: int | None = None, **options: Any) -> TrainingResult:
        """Trains as this node (its chain starts from its own genesis, `chain_genesis(spec, node)`)
        in the sandbox (settings `sandbox`, on by default; in the child started ahead for `task_id`
        if one waits) or, when it is off, in process."""
        if not self.settings.sandbox:
            try:
                return train(spec, workdir, node=self.node, **options)
            except MemoryError:
                raise ResourceLimitError(f"training {spec.name!r} ran out of memory (in process)") from None
        warm = self.standby.take(task_id) if task_id is not None else None
        return run_training(spec, workdir, self.sandbox_limits(), node=self.node, warm=warm, **options)

    def workdir(self, task_id: int) -> Path:
        return self.home / "tasks" / str(task_id)

    def fetch_spec(self, task_id: int, spec_uri: str, spec_digest_hex: str) -> TaskSpec:
        """Downloads the spec (hash-checked by the store) and checks it against the on-chain digest."""
        data = self.store.get_bytes(spec_uri)
        actual = "0x" + hashlib.sha256(data).hexdigest()
        if actual.lower() != spec_digest_hex.lower():
            raise TaskSpecError(f"task {task_id}: spec at {spec_uri} has digest {actual}, "
                                f"the chain says {spec_digest_hex}")
        return parse_spec(data)

    # -- carrying out tasks ----------------------------------------------------------------

    def work(self, stop: StopFlag) -> None:
        for task_id in self.state.in_phase(Phase.ASSIGNED):
            if stop.is_set:
                return
            with self.context(task_id):
                self.execute(task_id)
        for task_id in self.state.in_phase(Phase.SUBMITTED):
            if stop.is_set:
                return
            if not self.state.tasks[task_id].revealed:
                with self.context(task_id):
                    self.reveal(task_id)
        for task_id in list(self.state.checks):
            if stop.is_set:
                return
            with self.context(task_id):
                self.verify(task_id)

    def verify(self, task_id: int) -> None:
        """Runs a spot-check this node was picked for (once: the chain is asked first)."""
        try:
            if self.verifier.is_mine(task_id):
                self.verifier.verify(task_id)
        except (NNCError, OSError) as exc:
            if isinstance(exc, TRANSIENT_ERRORS):
                raise
            log.error("task %d: %s could not verify: %s", task_id, self.tag, exc)
        self.state.checks.remove(task_id)
        self.state.save()

    def execute(self, task_id: int) -> None:
        """Trains an assigned task, stores the model and submits its digest (once)."""
        record = self.state.tasks[task_id]
        if any(self.market.result_of(task_id, self.node)):
            self.state.set(task_id, Phase.SUBMITTED, spec_uri=record.spec_uri)
            return
        task = self.market.task(task_id)
        if task.status not in RUNNABLE or self.client.block_timestamp() > task.deadline:
            self.state.set(task_id, Phase.FAILED, f"task is {task.status.name.lower()}, deadline {task.deadline}")
            return
        try:
            spec = self.fetch_spec(task_id, record.spec_uri, "0x" + task.spec_digest.hex())
            workdir = self.workdir(task_id)
            log.info("task %d: %s training %s (%d steps)", task_id, self.tag, spec.name, spec.training.steps)
            snapshots = SnapshotPoster(self.market, task_id, self.node)
            dataset_file = self.key.open_dataset(fetch_dataset(spec, self.store, workdir))
            result = self.train(
                spec, workdir, task_id=task_id, dataset_file=dataset_file,
                on_checkpoint=snapshots.post,
                on_progress=lambda step, loss: log.debug("task %d: step %d/%d loss %.4f", task_id, step,
                                                         spec.training.steps, loss))
            self.metrics.training_steps.inc(result.steps - result.resumed_from)
            if self.spot_check.check(task_id).status != CheckStatus.NONE:  # verifiers need the checkpoints
                model_uri = publish_bundle(self.store, workdir, result.model_path)
            else:
                model_path = result.model_path
                if spec.privacy is not None:
                    model_path = seal_model(model_path, model_recipients(spec, self.key))
                model_uri = self.archive.put_file(model_path)
            # kept before sending: a restart after the commitment still knows what to reveal
            self.state.set(task_id, Phase.ASSIGNED, spec_uri=record.spec_uri,
                           result_digest="0x" + result.result_digest.hex(), result_uri=model_uri)
            _, salt = self.market.submit_result(task_id, result.result_digest, model_uri)
        except (NNCError, OSError) as exc:
            if isinstance(exc, (*TRANSIENT_ERRORS, ServiceUnavailableError)):
                raise  # waited out with back-off; the task stays assigned and resumes from its checkpoints
            log.error("task %d: %s failed: %s", task_id, self.tag, exc)
            self.give_up(task_id, abandon_reason(exc), str(exc))
            return
        self.state.set(task_id, Phase.SUBMITTED, spec_uri=record.spec_uri,
                       result_digest="0x" + result.result_digest.hex(), result_uri=model_uri,
                       salt="" if salt is None else str(salt),
                       revealed=self.market.participation(task_id, self.node).revealed)
        log.info("task %d: %s submitted digest 0x%s… (accuracy %.3f, %.1f s)", task_id, self.tag,
                 result.result_digest.hex()[:12], result.metric, result.seconds)

    def reveal(self, task_id: int) -> None:
        """Publishes where this node's model lives once every active result of the task is
        committed (the market hides results until then, so no replica can copy another's). A
        winner that never reveals is not paid. The chain is asked first: safe after a restart."""
        record = self.state.tasks[task_id]
        if not record.result_uri:
            return  # submitted before this worker kept URIs: nothing to reveal
        try:
            if self.market.task(task_id).status not in REVEAL_STATUSES:
                return  # other replicas are still working (one read a round), or the task moved on
            p = self.market.participation(task_id, self.node)
            if not p.revealed:
                if not p.submitted or p.bond != Bond.LOCKED:
                    return  # out of the task (slashed or frozen): nothing to reveal for
                self.market.reveal(task_id, record.result_uri)
                log.info("task %d: %s revealed its result at %s", task_id, self.tag, record.result_uri)
        except ContractRevertError as exc:
            log.warning("task %d: %s could not reveal its result: %s", task_id, self.tag, exc)
            return
        self.state.set(task_id, record.phase, record.reason, revealed=True)

    def give_up(self, task_id: int, reason: AbandonReason, cause: str) -> None:
        """Abandons a task this node cannot carry out, then records it failed (with `cause`).

        The chain is asked first, so a restart after the transaction sends nothing twice: only a
        task still Assigned or Running, before its deadline, without this node's result, is
        abandoned. A refusal is logged; the task is recorded failed either way.
        """
        record = self.state.tasks[task_id]
        task = self.market.task(task_id)
        if (task.status in RUNNABLE and self.client.block_timestamp() <= task.deadline
                and not any(self.market.result_of(task_id, self.node))):
            try:
                self.market.abandon(task_id, reason)
                log.warning("task %d: %s gave it up on-chain (%s)", task_id, self.tag, reason.name.lower())
            except ContractRevertError as exc:
                log.error("task %d: %s could not give it up: %s", task_id, self.tag, exc)
        self.state.set(task_id, Phase.FAILED, cause, spec_uri=record.spec_uri)
