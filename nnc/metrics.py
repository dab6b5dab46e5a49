"""Prometheus metrics of the daemons: what an operator graphs and alerts on.

Each daemon has its own registry (so tests and several daemons in one process never mix) and
serves it on 127.0.0.1:`metrics_port` when that setting is given. Names follow Prometheus
conventions (`_total` is added to counters by the client library).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

from nnc.chain.client import ChainClient


class DaemonMetrics:
    """Tasks by state, training steps, gas spent, earnings, RPC errors and indexing progress."""

    def __init__(self, daemon: str) -> None:
        self.daemon = daemon
        self.registry = CollectorRegistry()
        self.tasks = Gauge("nnc_tasks", "Tasks this daemon tracks, by state", ["state"], registry=self.registry)
        self.training_steps = Counter("nnc_training_steps", "Training steps completed", registry=self.registry)
        self.transactions = Counter("nnc_transactions", "Transactions sent and mined", registry=self.registry)
        self.gas_used = Counter("nnc_gas_used", "Gas used by this daemon's transactions", registry=self.registry)
        self.gas_spent = Counter("nnc_gas_spent_wei", "Wei paid for gas", registry=self.registry)
        self.earnings = Counter("nnc_earnings_wei", "What this node was paid, by payment token",
                                ["token"], registry=self.registry)
        self.rpc_errors = Counter("nnc_rpc_errors", "Chain or storage calls that failed and were retried",
                                  registry=self.registry)
        self.events = Counter("nnc_events_processed", "Protocol events handled", registry=self.registry)
        self.last_block = Gauge("nnc_last_processed_block", "Last block whose events were handled",
                                registry=self.registry)
        self._states: set[str] = set()

    def watch(self, client: ChainClient) -> None:
        """Counts every transaction `client` sends, with its gas."""
        client.receipt_hooks.append(self._on_receipt)

    def _on_receipt(self, receipt: Any) -> None:
        self.transactions.inc()
        self.gas_used.inc(int(receipt["gasUsed"]))
        self.gas_spent.inc(int(receipt["gasUsed"]) * int(receipt.get("effectiveGasPrice", 0)))

    def set_task_states(self, states: Iterable[str]) -> None:
        """Sets the `nnc_tasks` gauge from the state of every tracked task."""
        counts: dict[str, int] = {}
        for state in states:
            counts[state] = counts.get(state, 0) + 1
        for state in self._states - set(counts):  # states no task is in any more read 0
            self.tasks.labels(state).set(0)
        for state, count in counts.items():
            self.tasks.labels(state).set(count)
        self._states |= set(counts)

    def value(self, name: str, **labels: str) -> float:
        """The current value of a sample (0 when it has none yet), e.g. `value("nnc_gas_used_total")`."""
        return self.registry.get_sample_value(name, labels) or 0.0

    def serve(self, port: int, host: str = "127.0.0.1") -> int:
        """Serves /metrics on `host:port` (0: a free port) from a background thread; returns the port."""
        server, _ = start_http_server(port, addr=host, registry=self.registry)
        return int(server.server_port)
