"""What the worker's roles (membership, intake, execution) share: this node's identity, its
contracts and stores, its persisted state and the settings they all read."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

from nnc.chain.client import ChainClient
from nnc.chain.dispute import SpotCheck
from nnc.chain.market import Market
from nnc.chain.registry import Registry
from nnc.logs import log_context
from nnc.metrics import DaemonMetrics
from nnc.runtimes import offered_runtimes
from nnc.sandbox import SandboxLimits
from nnc.settings import Settings
from nnc.storage import Store
from nnc.storage.cache import DATASET_CACHE
from nnc.worker.privacy import NodeKey
from nnc.worker.standby import Standby
from nnc.worker.state import WorkerState


class Node:
    """This node as its worker's roles see it. `store` holds working data (specs, datasets,
    profiles); `archive`, when given, the final models (Arweave on a full deployment), else
    `store` does. `settings` may be replaced while the worker runs: every role reads it here."""

    def __init__(self, settings: Settings, client: ChainClient, store: Store, archive: Store | None = None) -> None:
        assert client.deployment is not None
        self.settings = settings
        self.client = client
        self.store = store
        self.archive = archive or store
        self.market = Market(client)
        self.registry = Registry(client)
        self.spot_check = SpotCheck(client)
        self.address = client.address
        self.home = settings.data_dir / "worker" / self.address.lower()
        self.state = WorkerState.load(self.home / "state.json", client.deployment.start_block)
        self.key = NodeKey(settings.encryption_key_file or self.home / "encryption.key")
        self.tag = f"node {self.address[:10]}"
        self.runtimes = offered_runtimes(settings.runtimes)
        self.standby = Standby(settings.sandbox_standby if settings.sandbox else 0)
        self.metrics = DaemonMetrics("worker")
        self.metrics.watch(client)
        self.benchmarks: dict[str, float] = {}  # matmul GFLOPS by device ("cpu", "cuda"), from `join` or when needed
        self.gpu_models: list[str] | None = None  # this node's CUDA devices, looked up when a task first needs them

    def context(self, task_id: int | None = None) -> AbstractContextManager[None]:
        """The log context of the worker's lines: its node address and, when given, the task."""
        return log_context(daemon="worker", node=self.address, task_id=task_id)

    def is_me(self, address: object) -> bool:
        return str(address).lower() == self.address.lower()

    def workdir(self, task_id: int) -> Path:
        return self.home / "tasks" / str(task_id)

    @property
    def dataset_cache(self) -> Path:
        """This node's datasets by content id: a task on a dataset fetched before downloads nothing."""
        return self.home / DATASET_CACHE

    def sandbox_limits(self) -> SandboxLimits:
        cpus = tuple(self.settings.sandbox_cpus) if self.settings.sandbox_cpus else None
        return SandboxLimits(memory_mb=self.settings.sandbox_memory_mb, seconds=self.settings.sandbox_seconds,
                             cpus=cpus, gpu=bool(self.gpu_models))
