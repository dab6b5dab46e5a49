"""Taking tasks in: a newly published task is applied for only if this node can and may run it.

Applying locks the task's collateral, so the node applies only while its free stake covers it,
and only for tasks it can finish before the deadline by its own estimate (its benchmark and the
task's compute units, with `deadline_margin` to spare): a missed deadline costs the whole
collateral. The estimate uses the benchmark of the device the task would train on here (its GPU,
or its CPU for a CPU task), and a task that may train on a GPU is taken only as
`nnc.task.execution.node_refusal` allows (a replicated GPU task only on the GPU model it names).
A task starting from a library model is applied for only once that model is fetched and checked.
Once applied, the task's sandboxed training child is started ahead (standby).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

from nnc.chain.types import TaskStatus
from nnc.errors import ContractRevertError, NNCError, StorageError, TaskSpecError
from nnc.library import fetch_base_model, fetch_task_files
from nnc.node.estimate import estimate_training_seconds, format_seconds
from nnc.runtimes.requirements import unmet_requirements
from nnc.runtimes.sandboxed import program_limits
from nnc.sandbox import BWRAP, isolation
from nnc.storage import Store
from nnc.task import TaskSpec, compute_units, parse_spec
from nnc.task.execution import TrainingDevice, node_refusal, resolve_device
from nnc.training.data import fetch_dataset
from nnc.worker.membership import registered_offers
from nnc.worker.node import Node
from nnc.worker.state import Phase

# the worker daemon's lines share one logger, whichever role writes them (operators filter on it)
log = logging.getLogger("nnc.worker.daemon")


def fetch_spec(store: Store, task_id: int, spec_uri: str, spec_digest_hex: str) -> TaskSpec:
    """Downloads the spec (hash-checked by the store) and checks it against the on-chain digest."""
    data = store.get_bytes(spec_uri)
    actual = "0x" + hashlib.sha256(data).hexdigest()
    if actual.lower() != spec_digest_hex.lower():
        raise TaskSpecError(f"task {task_id}: spec at {spec_uri} has digest {actual}, "
                            f"the chain says {spec_digest_hex}")
    return parse_spec(data)


def program_refusal(spec: TaskSpec, home: Path) -> None:
    """Raises `TaskSpecError` when the node at `home` cannot run the spec's program: a package it
    `requires` is not among those the node registered in its profile (what requesters matched
    it on), or missing here or at a version its specifier excludes, or no isolating sandbox."""
    assert spec.program is not None
    offers = registered_offers(home)
    unmet = unmet_requirements(spec.program.requires, {} if offers is None else offers.get("packages", {}),
                               where="in this node's registered profile")
    unmet += unmet_requirements(spec.program.requires)
    if unmet:
        raise TaskSpecError(f"its program needs what this node lacks: {'; '.join(unmet)}")
    if isolation() != BWRAP:
        raise TaskSpecError("its program runs only in an isolating sandbox, and bubblewrap is not installed here")


class Intake:
    def __init__(self, node: Node) -> None:
        self.node = node

    def consider(self, task_id: int, published: dict[str, Any]) -> None:
        """Applies for a newly published task if this node can and may run it."""
        n = self.node
        spec_uri = str(published["specURI"])
        try:
            spec = fetch_spec(n.store, task_id, spec_uri, str(published["specDigest"]))
            if spec.framework not in n.runtimes:
                raise TaskSpecError(f"framework {spec.framework!r} is not among this node's runtimes "
                                    f"({', '.join(n.runtimes)})")
            if spec.program is not None:
                program_refusal(spec, n.home)
            if spec.base_model is not None:  # fetched and checked (then cached) before the collateral is at stake
                fetch_base_model(spec, n.client, n.store, n.home / "cache", n.key.private)
            if spec.privacy is not None and not n.key.can_read(
                    fetch_dataset(spec, n.store, n.workdir(task_id), n.dataset_cache)):
                raise TaskSpecError("its private dataset is not encrypted to this node's key")
            task = n.market.task(task_id)
            if compute_units(spec) != task.compute_units:
                raise TaskSpecError(f"the task declares {task.compute_units} compute units, "
                                    f"its spec costs {compute_units(spec)}")
            if task.status != TaskStatus.PUBLISHED or n.client.block_timestamp() >= task.apply_deadline:
                n.state.set(task_id, Phase.SKIPPED, "applications closed", spec_uri=spec_uri)
                return
            refusal = self.refusal(task_id, spec, task.collateral, task.min_hardware_class, task.compute_units,
                                   task.apply_deadline, task.deadline, replication=task.replication)
            if refusal is not None:
                log.info("task %d: %s does not apply: %s", task_id, n.tag, refusal)
                n.state.set(task_id, Phase.SKIPPED, refusal, spec_uri=spec_uri)
                return
            n.market.apply(task_id)
        except (TaskSpecError, StorageError) as exc:
            log.warning("task %d: %s skips it: %s", task_id, n.tag, exc)
            n.state.set(task_id, Phase.SKIPPED, str(exc), spec_uri=spec_uri)
            return
        except ContractRevertError as exc:
            if exc.name != "AlreadyApplied":  # a restart after applying: the application stands
                # a lost race (assigned, cancelled or closed in a block before this one) or a refusal
                log.info("task %d: %s could not apply (an expected refusal, moving on): %s", task_id, n.tag, exc)
                n.state.set(task_id, Phase.SKIPPED, str(exc), spec_uri=spec_uri)
                return
        n.state.set(task_id, Phase.APPLIED, spec_uri=spec_uri)
        log.info("task %d: %s applied", task_id, n.tag)
        if spec.program is None and not spec.starts_from_weights:  # a child started now would not see their files
            n.standby.prepare(task_id, spec, n.workdir(task_id), n.sandbox_limits())
        elif spec.inference is not None and spec.program is None and n.settings.sandbox:
            self.prepare_inference(task_id, spec)

    def prepare_inference(self, task_id: int, spec: TaskSpec) -> None:
        """Fetches an inference task's weights and inputs now (cached: the run finds them again)
        and starts its sandbox with them in view, so that the assigned task starts at once."""
        n = self.node
        try:
            workdir = n.workdir(task_id)
            files = fetch_task_files(spec, n.client, n.store, n.home / "cache", n.key.private)
            dataset_file = n.key.open_dataset(fetch_dataset(spec, n.store, workdir, n.dataset_cache))
        except (NNCError, OSError) as exc:  # the run fetches again, and gives up if it must
            log.warning("task %d: %s could not fetch its files ahead: %s", task_id, n.tag, exc)
            return
        n.standby.prepare(task_id, spec, workdir, program_limits(n.sandbox_limits(), files, dataset_file))

    def refusal(self, task_id: int, spec: TaskSpec, collateral: int, min_hardware_class: int, units: int,
                apply_deadline: int, deadline: int, *, replication: int = 1) -> str | None:
        """Why this node must not apply for a task trained by `replication` nodes (None: it may).
        Applying locks `collateral` of the free stake until assignment (or settlement, if
        assigned), and a missed deadline loses all of it, so the node wants the free stake and
        the time, and the device the task allows."""
        n = self.node
        gpus = self.gpu_models()
        device_refusal = node_refusal(spec, replication, gpus)
        if device_refusal is not None:
            return device_refusal
        registered = n.registry.node(n.address)
        free = registered.staked - registered.locked
        if free < collateral:
            return f"free stake {free} NNT-wei cannot cover the collateral {collateral} (locked {registered.locked})"
        if not n.registry.is_eligible(n.address, collateral, min_hardware_class):
            return "not eligible (stake or hardware class)"
        device = resolve_device(spec, bool(gpus))
        gflops = self.gflops_on(device)
        passes = spec.schedule.steps if spec.inference is None else spec.inference.batches
        estimate = estimate_training_seconds(units, passes, gflops)
        window = deadline - max(apply_deadline, n.client.block_timestamp())
        log.debug("task %d: %s estimates %s of training on %s (%.1f GFLOPS), %s between assignment and the "
                  "deadline", task_id, n.tag, format_seconds(estimate), device, gflops, format_seconds(window))
        if estimate * n.settings.deadline_margin > window:
            return (f"cannot finish before the deadline: about {format_seconds(estimate)} of training by this "
                    f"node's estimate (x{n.settings.deadline_margin:g} margin), {format_seconds(window)} "
                    f"between the application deadline and the task's")
        return None

    def gpu_models(self) -> list[str]:
        """This node's CUDA device models (looked up once; `join` records them from the profile)."""
        n = self.node
        if n.gpu_models is None:
            from nnc.node.profile import gpu_models  # imports torch

            n.gpu_models = gpu_models()
        return n.gpu_models

    def gflops_on(self, device: TrainingDevice) -> float:
        """This node's matmul benchmark on `device` (measured once, briefly, when first needed)."""
        n = self.node
        if device not in n.benchmarks:
            from nnc.node.profile import measure_benchmark  # imports torch

            n.benchmarks[device] = measure_benchmark(0.2, device=device).matmul_gflops
        return n.benchmarks[device]
