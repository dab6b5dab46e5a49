"""The chain follower on the devnet: events reach the handler of their (contract, event) and the
cursor, confirmations hold the newest blocks back, and a reorganisation is handed to the daemon's
policy with the newest remembered head still on the chain."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

import pytest

from nnc.chain.events import ChainEvent
from nnc.daemon.follower import ChainFollower, Reorganisation
from nnc.devnet import Devnet
from nnc.errors import ContractRevertError
from nnc.metrics import DaemonMetrics
from tests.e2e.harness import make_network

pytestmark = pytest.mark.e2e


class MemoryCursor:
    """A cursor that keeps every head and every event it took in, in memory."""

    def __init__(self, last_block: int) -> None:
        self.last_block = last_block
        self.known: dict[int, str] = {}
        self.events: list[ChainEvent] = []

    def heads(self) -> dict[int, str]:
        return self.known

    def ingest(self, events: Iterable[ChainEvent], up_to_block: int, block_hash: str | None = None) -> int:
        new = list(events)
        self.events += new
        self.last_block = up_to_block
        if block_hash is not None:
            self.known[up_to_block] = block_hash
        return len(new)


def test_follower_dispatches_by_contract_and_event_and_notices_a_reorganisation(
        chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, [])
    client = chain.client(0)
    w3 = client.w3
    assert chain.deployment is not None
    cursor = MemoryCursor(chain.deployment.start_block - 1)
    published: list[int] = []
    reorganisations: list[Reorganisation] = []
    follower = ChainFollower(
        client, cursor, DaemonMetrics("test"), confirmations=1, log_range=3,
        on_reorganisation=reorganisations.append, log=logging.getLogger(__name__), tag="test",
        handlers={("TaskMarket", "TaskPublished"): lambda e: published.append(int(e.args["taskId"]))})

    follower.sync()  # the deployment's history
    assert cursor.heads() == {cursor.last_block: follower.block_hash(cursor.last_block)}
    fork_block = w3.eth.block_number  # blocks up to here stay on the chain
    fork = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    task_id = net.publish(replication=1)
    follower.sync()
    assert not published and cursor.last_block == w3.eth.block_number - 1  # its block is not confirmed yet
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    assert follower.sync() >= 2
    assert published == [task_id]  # one handler call, for the one event it is registered for
    assert {e.name for e in cursor.events} >= {"TaskPublished", "TaskStatusChanged"}
    assert cursor.last_block == w3.eth.block_number - 1
    assert follower.metrics.value("nnc_last_processed_block") == cursor.last_block
    assert not reorganisations

    seen_head = cursor.last_block
    fork_head = max(b for b in cursor.heads() if b <= fork_block)  # the newest head the reorganisation keeps
    assert fork_head < seen_head
    assert w3.provider.make_request("evm_revert", [fork])["result"] is True  # type: ignore[arg-type]
    while w3.eth.block_number <= seen_head + 2:  # another branch, longer than what the follower saw
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    assert follower.reorganisation() == Reorganisation(lost_block=seen_head, rewind_to=fork_head,
                                                       every_head_lost=False)
    follower.sync()
    assert reorganisations == [Reorganisation(lost_block=seen_head, rewind_to=fork_head, every_head_lost=False)]

    cursor.known = {seen_head: "0x" + "00" * 32}  # no remembered head is on the chain
    assert follower.reorganisation() == Reorganisation(lost_block=seen_head,
                                                       rewind_to=chain.deployment.start_block - 1,
                                                       every_head_lost=True)


def test_a_handler_refused_by_the_chain_does_not_make_the_range_be_handled_again(
        chain: Devnet, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """One event whose handler lost a race (its transaction reverted) is logged and passed over:
    the events after it are handled, the cursor moves past the range, nothing is handled twice."""
    net = make_network(chain, tmp_path, [])
    client = chain.client(0)
    assert chain.deployment is not None
    first, second = net.publish(replication=1), net.publish(replication=1)
    calls: list[int] = []

    def apply_lost(event: ChainEvent) -> None:
        calls.append(int(event.args["taskId"]))
        if event.task_id == first:
            raise ContractRevertError("apply for task: reverted InvalidStatus", "InvalidStatus")

    cursor = MemoryCursor(chain.deployment.start_block - 1)
    follower = ChainFollower(client, cursor, DaemonMetrics("test"), confirmations=0, log_range=2000,
                             on_reorganisation=lambda r: None, log=logging.getLogger(__name__), tag="test",
                             handlers={("TaskMarket", "TaskPublished"): apply_lost})
    with caplog.at_level(logging.INFO):
        follower.sync()
        follower.sync()
    assert calls == [first, second]  # once each, the one after the refused one too
    assert cursor.last_block == client.block_number()
    refused = [r for r in caplog.records if "refused by the chain" in r.getMessage()]
    assert len(refused) == 1 and refused[0].levelname == "INFO" and not refused[0].exc_info
