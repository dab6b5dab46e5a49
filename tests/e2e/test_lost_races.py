"""A transaction that lost a race inside its block (the task was cancelled by a transaction mined
just before it) is reported as the contract's revert, decoded, so that a daemon can expect it and
move on; replaying it on the state before its block would succeed and hide why it failed."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from web3.types import RPCEndpoint

from nnc.chain.market import Market
from nnc.chain.types import TaskStatus
from nnc.devnet import REQUESTER, Devnet
from nnc.errors import ContractRevertError
from tests.e2e.harness import make_network

pytestmark = pytest.mark.e2e


def test_an_apply_mined_after_a_cancel_in_the_same_block_is_a_decoded_revert(chain: Devnet, tmp_path: Path) -> None:
    node = chain.node_indices()[0]
    net = make_network(chain, tmp_path, [node])
    task_id = net.publish(replication=1)
    requester, applicant = Market(chain.client(REQUESTER)), Market(chain.client(node))
    w3 = chain.client(0).w3
    outcome: dict[str, BaseException | None] = {}

    def send(name: str, call: object) -> None:
        try:
            call()  # type: ignore[operator]
            outcome[name] = None
        except BaseException as exc:  # noqa: BLE001  (reported to the test below)
            outcome[name] = exc

    w3.provider.make_request(RPCEndpoint("evm_setAutomine"), [False])
    try:
        cancelling = threading.Thread(target=send, args=("cancel", lambda: requester.cancel(task_id)))
        cancelling.start()
        chain.client(0).wait_for("the cancel in the pool", lambda: w3.eth.get_block("pending")["transactions"], 10)
        applying = threading.Thread(target=send, args=("apply", lambda: applicant.apply(task_id)))
        applying.start()
        chain.client(0).wait_for("both in the pool", lambda: len(w3.eth.get_block("pending")["transactions"]) == 2, 10)
        w3.provider.make_request(RPCEndpoint("evm_mine"), [])
        cancelling.join(30)
        applying.join(30)
    finally:
        w3.provider.make_request(RPCEndpoint("evm_setAutomine"), [True])
    assert outcome["cancel"] is None
    assert net.status(task_id) == TaskStatus.CANCELLED
    lost = outcome["apply"]
    assert isinstance(lost, ContractRevertError) and lost.name is not None, repr(lost)
