"""The settlement keeper of cross-chain tasks: relays each bridged task's settlement to its spoke
chain once the task is final (Settled, Cancelled, Expired or Failed), by calling the home
gateway's `relaySettlement` (anyone may; the oracle pays the Hyperlane fee, `quoteRelay`).

It follows the gateway's `TaskBridged` events into a small ledger of its own (the next block to
read and the bridged tasks not relayed yet, `<data_dir>/oracle/bridge.json`, keyed by the gateway's
address), so a restart neither misses a task nor rereads the chain from the start. Relaying is
safe to run twice: the chain is the judge, and `NotRelayable` (relayed already, by this keeper
before a crash or by anyone else) only drops the task from the ledger.

Off unless `home_gateway` is set (a deployment with a cross-chain route).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from nnc.chain.client import ChainClient
from nnc.chain.market import Market
from nnc.chain.types import TaskStatus
from nnc.crosschain.gateways import HomeGateway
from nnc.errors import ContractRevertError
from nnc.jsonfile import write_json_atomic
from nnc.logs import log_context

log = logging.getLogger(__name__)

FINAL = frozenset({TaskStatus.SETTLED, TaskStatus.CANCELLED, TaskStatus.EXPIRED, TaskStatus.FAILED})


class SettlementKeeper:
    """Relays the settlement of `gateway`'s bridged tasks; `relay_due()` once per oracle round."""

    def __init__(self, client: ChainClient, gateway: str, ledger: Path, start_block: int,
                 log_range: int = 2000) -> None:
        self.gateway = HomeGateway(client, gateway)
        self.market = Market(client)
        self.ledger = ledger
        self.log_range = log_range
        self.next_block = start_block
        self.open: set[int] = set()
        self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.ledger.read_text())
        except FileNotFoundError:
            return
        if str(data.get("gateway", "")).lower() != self.gateway.address.lower():
            log.info("bridge ledger %s is for gateway %s: starting afresh for %s", self.ledger, data.get("gateway"),
                     self.gateway.address)
            return
        self.next_block = int(data["next_block"])
        self.open = {int(t) for t in data["open"]}

    def _save(self) -> None:
        write_json_atomic(self.ledger, {"gateway": self.gateway.address, "next_block": self.next_block,
                                        "open": sorted(self.open)})

    def scan(self) -> None:
        """Adds the tasks bridged since the last scan to the ledger."""
        latest = self.gateway.client.block_number()
        while self.next_block <= latest:
            end = min(latest, self.next_block + self.log_range - 1)
            for event in self.gateway.events("TaskBridged", from_block=self.next_block, to_block=end):
                self.open.add(int(event["taskId"]))
            self.next_block = end + 1
            self._save()

    def relay_due(self) -> list[tuple[int, str]]:
        """Relays every bridged task that became final; returns (task id, "relay_settlement")
        for each relayed."""
        self.scan()
        done: list[tuple[int, str]] = []
        for task_id in sorted(self.open):
            if self.market.task(task_id).status not in FINAL:
                continue
            with log_context(daemon="oracle", task_id=task_id):
                try:
                    message_id, _ = self.gateway.relay_settlement(task_id)
                except ContractRevertError as exc:
                    if exc.name != "NotRelayable":
                        log.warning("task %d: settlement not relayed yet: %s", task_id, exc)
                        continue
                    log.info("task %d: settlement already relayed", task_id)
                else:
                    log.info("task %d: settlement relayed to its spoke chain (message %s)", task_id, message_id)
                    done.append((task_id, "relay_settlement"))
            self.open.discard(task_id)
            self._save()
        return done
