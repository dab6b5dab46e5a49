"""Deadlines a requester sends count from the next block's time, not the latest block's: on a
chain that mines only on demand (a devnet left idle) the latest block may be older than the apply
window, and a task published then must not be refused as already past its deadline."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnc.devnet import Devnet
from tests.e2e.harness import make_network

pytestmark = pytest.mark.e2e
IDLE_S = 3600  # longer than the 600 s deadline the harness publishes with


def test_a_task_published_after_the_chain_idled_counts_its_windows_from_the_block_it_is_mined_in(
        chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, [])
    client = chain.client(0)
    latest = client.block_timestamp()
    client.w3.provider.make_request("evm_increaseTime", [IDLE_S])  # type: ignore[arg-type]  # the clock moves, no block
    assert client.block_timestamp() == latest
    assert client.next_block_timestamp() >= latest + IDLE_S

    task_id = net.publish(replication=1, apply_window=60, deadline=600)
    mined = client.block_timestamp()  # the publish's own block (automine)
    task = net.market().task(task_id)
    assert mined >= latest + IDLE_S
    assert 55 <= task.apply_deadline - mined <= 60
    assert 595 <= task.deadline - mined <= 600
