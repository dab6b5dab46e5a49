"""The chain client's local nonce and the tracker of transactions sent without waiting
(`nnc.chain.pending`): a transaction that reverts or is dropped is reported, never lost silently;
a nonce the node refuses is read again."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from nnc.chain.client import ChainClient
from nnc.chain.pending import PendingTransactions
from nnc.devnet import Devnet
from nnc.errors import ContractRevertError


def rpc(client: ChainClient, method: str, *params: Any) -> Any:
    return client.w3.provider.make_request(method, list(params))  # type: ignore[arg-type]


def count_calls(client: ChainClient) -> dict[str, int]:
    """Counts the client's RPC calls by method from now on."""
    counts: dict[str, int] = {}
    provider: Any = client.w3.provider
    inner = provider._make_request  # under web3's request cache: what reaches the node

    def counted(method: str, request_data: bytes) -> Any:
        counts[method] = counts.get(method, 0) + 1
        return inner(method, request_data)

    provider._make_request = counted
    return counts


@pytest.fixture
def manual_mining(chain: Devnet) -> Iterator[Devnet]:
    """The devnet with automine off (transactions wait in the pool until `evm_mine`)."""
    client = chain.client(0)
    rpc(client, "evm_setAutomine", False)
    try:
        yield chain
    finally:
        rpc(client, "evm_setAutomine", True)


def test_local_nonce_reads_the_node_once_and_resyncs_after_another_sender(chain: Devnet) -> None:
    client = chain.client(0)
    client.local_nonce = True
    other = chain.client(0)  # the same key, another client: the node's nonce moves under the first
    to = chain.address(2)
    counts = count_calls(client)
    start = client.w3.eth.get_transaction_count(client.address)
    client.transact(client.token.functions.transfer(to, 1))
    client.transact(client.token.functions.transfer(to, 1))
    assert counts.get("eth_getTransactionCount", 0) == 2  # the first transaction's nonce, and the read above
    assert counts.get("eth_chainId", 0) <= 1
    other.transact(other.token.functions.transfer(to, 1))
    client.transact(client.token.functions.transfer(to, 1))  # nonce too low: read again, sent again
    assert client.w3.eth.get_transaction_count(client.address) == start + 4
    assert client._nonce == start + 4


def test_submitted_transactions_are_tracked_until_mined(manual_mining: Devnet) -> None:
    client = manual_mining.client(0)
    client.local_nonce = True
    pending = PendingTransactions(client)
    to = manual_mining.address(2)
    balance = int(client.token.functions.balanceOf(client.address).call())
    # both simulate against the same state; mined in one block, the second finds the balance spent
    pending.add("first", client.submit(client.token.functions.transfer(to, balance)))
    pending.add("second", client.submit(client.token.functions.transfer(to, balance)))
    assert pending.check() == []  # not mined: both still pending, their keys busy
    assert pending.busy("first") and pending.busy("second") and len(pending) == 2
    rpc(client, "evm_mine")
    outcomes = pending.check()
    assert [o.key for o in outcomes] == ["second"]
    error = outcomes[0].error
    assert isinstance(error, ContractRevertError) and error.name == "ERC20InsufficientBalance"
    assert not pending.busy("first") and not pending.busy("second") and len(pending) == 0


def test_a_dropped_transaction_is_reported_and_the_nonce_read_again(manual_mining: Devnet) -> None:
    client = manual_mining.client(0)
    client.local_nonce = True
    pending = PendingTransactions(client, drop_after_s=0.0)
    to = manual_mining.address(2)
    start = client.w3.eth.get_transaction_count(client.address)
    sent = client.submit(client.token.functions.transfer(to, 1))
    assert rpc(client, "anvil_dropTransaction", sent.tx_hash).get("error") is None
    outcomes = pending.check()
    assert outcomes == []  # not added: nothing to report
    pending.add("task", sent)
    outcomes = pending.check()
    assert len(outcomes) == 1 and outcomes[0].dropped and outcomes[0].key == "task"
    assert not pending.busy("task")
    assert client._nonce is None  # the next transaction asks the node
    again = client.submit(client.token.functions.transfer(to, 1))
    assert again.tx["nonce"] == start  # not start + 1: that would wait behind a gap forever
    rpc(client, "evm_mine")
    assert client.receipt_of(again) is not None


def test_a_nonce_too_high_is_found_by_the_tracker(manual_mining: Devnet) -> None:
    """A chain reverted under a long-lived client leaves its local nonce too high: the node queues
    the transaction without an error; the tracker reports it dropped and the nonce is read again."""
    client = manual_mining.client(0)
    client.local_nonce = True
    start = client.w3.eth.get_transaction_count(client.address)
    client._nonce = start + 5
    pending = PendingTransactions(client, drop_after_s=0.0)
    pending.add(7, client.submit(client.token.functions.transfer(manual_mining.address(2), 1)))
    rpc(client, "evm_mine")
    outcomes = pending.check()
    assert len(outcomes) == 1 and outcomes[0].dropped
    sent = client.submit(client.token.functions.transfer(manual_mining.address(2), 1))
    assert sent.tx["nonce"] == start
    rpc(client, "evm_mine")
    assert client.receipt_of(sent) is not None
