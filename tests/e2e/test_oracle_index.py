"""The oracle's index: each event once, resumes after a restart, rebuildable from the chain."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from nnc.devnet import ORACLE, Devnet
from nnc.errors import TrainingError
from nnc.oracle.daemon import Oracle, open_index
from nnc.storage import LocalStore
from nnc.task import load_spec
from nnc.training.data import export_dataset, load_data, load_dataset_digest
from tests.e2e.harness import TINY_SPEC, make_network, settings_for

pytestmark = pytest.mark.e2e


def test_index_follows_a_task_resumes_after_restart_and_rebuilds_identically(
        chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, chain.node_indices()[:1])
    task_id = net.publish(replication=1)
    net.settle(task_id)
    net.oracle.sync()
    row = net.oracle.index.task(task_id)
    assert row is not None and row["status"] == "SETTLED"
    trace = [e["name"] for e in net.oracle.index.events(task_id)]
    assert trace[0] == "TaskPublished" and "TaskAssigned" in trace and "TaskSettled" in trace
    position = net.oracle.index.last_block
    events_before = net.oracle.index.events()
    net.oracle.index.close()

    # Restart: a new oracle process opens the same index and carries on from where it stopped.
    settings = settings_for(chain, tmp_path, ORACLE)
    client = chain.client(ORACLE)
    restarted = Oracle(settings, client, open_index(settings, client))
    assert restarted.index.last_block == position
    assert restarted.sync() == 0
    second = net.publish(replication=1)
    assert restarted.sync() >= 2  # TaskPublished + TaskStatusChanged of the new task only
    assert restarted.index.task(second) is not None

    # Feeding the same range again changes nothing: every event is handled once.
    again = restarted.index.ingest(restarted.reader.read(chain.deployment.start_block,  # type: ignore[union-attr]
                                                         position), position)
    assert again == 0
    assert restarted.index.events()[: len(events_before)] == events_before

    # Rebuild from scratch gives the same projection.
    tasks_before = restarted.index.tasks()
    restarted.index.reset()
    restarted.sync()
    assert restarted.index.tasks() == tasks_before


def test_task_on_a_stored_dataset_settles_and_its_audit_record_matches_the_chain(
        chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, chain.node_indices()[:1])
    spec = load_spec(TINY_SPEC)
    dataset = spec.dataset.model_copy(update={
        "uri": net.store.put_file(export_dataset(spec.dataset, tmp_path / "digits.npz")),
        "digest": load_dataset_digest(spec)})
    task_id = net.publish(spec.model_copy(update={"dataset": dataset}), replication=1)
    net.settle(task_id)
    net.oracle.sync()
    row = net.oracle.index.task(task_id)
    assert row is not None and row["quality"] is not None  # the oracle evaluated on the fetched copy too

    archive = LocalStore(tmp_path / "archive")
    net.oracle.archive = archive
    # the daemon's rounds upload off the loop: handed over in one round, taken in on a later one
    assert net.oracle.archive_audits(time.monotonic() + 5) == []
    assert net.oracle.archive_audits(time.monotonic() + 5) in ([], [task_id])  # not handed over twice
    ends = time.monotonic() + 30
    while (uri := net.oracle.index.audit_uri(task_id)) is None and time.monotonic() < ends:
        net.oracle.archive_audits(time.monotonic() + 5)
        time.sleep(0.05)
    assert net.oracle.archive_audits() == []  # once per task
    uri = net.oracle.index.audit_uri(task_id)
    assert uri is not None
    record = json.loads(archive.get_bytes(uri))
    market = chain.client(0).market
    logs = chain.client(0).w3.eth.get_logs({
        "address": market.address, "fromBlock": 0, "toBlock": "latest",
        "topics": [None, "0x" + task_id.to_bytes(32, "big").hex()]})  # type: ignore[typeddict-item]
    on_chain = [(log["blockNumber"], log["logIndex"], "0x" + log["transactionHash"].hex().removeprefix("0x"))
                for log in logs]
    recorded = [(e["block_number"], e["log_index"], e["tx_hash"]) for e in record["events"]
                if e["contract"] == "TaskMarket"]
    assert recorded == on_chain
    assert record["task"]["status"] == "SETTLED" and record["task_market"] == market.address


def test_spec_naming_a_stored_dataset_cannot_train_without_the_file() -> None:
    spec = load_spec(TINY_SPEC)
    stored = spec.model_copy(update={"dataset": spec.dataset.model_copy(update={"uri": "local://sha256/" + "0" * 64})})
    with pytest.raises(TrainingError, match="fetch it"):
        load_data(stored)


def test_index_notices_a_reorganisation_and_rebuilds_from_the_chain(chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, [])
    w3 = chain.client(0).w3
    fork = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    first = net.publish(replication=1, budget=10**18)
    net.oracle.sync()
    assert net.oracle.index.task(first)["budget"] == str(10**18)  # type: ignore[index]
    orphaned = net.oracle.index.last_block_hash

    assert w3.provider.make_request("evm_revert", [fork])["result"] is True  # type: ignore[arg-type]
    second = net.publish(replication=1, budget=2 * 10**18)  # the same id in another block at that height
    assert second == first
    net.oracle.sync()
    assert net.oracle.index.last_block_hash != orphaned
    assert net.oracle.index.task(first)["budget"] == str(2 * 10**18)  # type: ignore[index]
    budgets = [e["args"]["budget"] for e in net.oracle.index.events(first) if e["name"] == "TaskPublished"]
    assert budgets == [2 * 10**18]  # nothing of the orphaned block is left
