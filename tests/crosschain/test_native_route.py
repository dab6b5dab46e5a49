"""Cross-chain tasks on real Hyperlane (its Mailbox, test ISM and relayer, deployed by its CLI on
two anvil chains): publish with the spoke's native coin, train at home, settle back; the relayer
down past the ACK deadline; a settlement delivered or relayed twice."""

from __future__ import annotations

from typing import Any

import pytest
from web3 import Web3

from nnc.chain.deploy import NNT
from nnc.chain.market import Market
from nnc.chain.types import TaskStatus
from nnc.crosschain.devnet import HOME, SPOKE
from nnc.crosschain.gateways import BridgedStatus, EscrowStatus, HomeGateway, Published
from nnc.devnet import DEPLOYER, REQUESTER
from nnc.errors import ContractRevertError
from nnc.oracle.bridge import SettlementKeeper
from nnc.task import load_spec
from nnc.task.publish import PublishOptions
from nnc.task.spoke_publish import publish_on_spoke
from tests.crosschain.conftest import CrossChain
from tests.e2e.harness import TINY_SPEC

pytestmark = pytest.mark.e2e

STRANGER = 7  # an account with no role on either chain


def publish(x: CrossChain, budget: int, payer: int = REQUESTER, **options: Any) -> Published:
    defaults: dict[str, Any] = {"budget": budget, "replication": 2, "collateral": 10 * NNT, "apply_window": 60,
                                "deadline": 600}
    defaults.update(options)
    return publish_on_spoke(x.chains.home_client(DEPLOYER), x.chains.spoke_gateway(payer), x.net.store,
                            load_spec(TINY_SPEC), PublishOptions(**defaults))


def bridged_task(x: CrossChain, published: Published) -> int:
    """Waits for the relayer to deliver the PUBLISH; the home task's id."""
    x.chains.relayer.wait_delivered(HOME, published.message_id)  # type: ignore[union-attr]
    task_id = x.chains.home_gateway().task_of(x.spoke_domain, published.escrow_id)
    assert task_id is not None, "the home gateway refused the PUBLISH"
    return task_id


def spoke_balance(x: CrossChain, account: str) -> int:
    return int(x.chains.spoke_client(DEPLOYER).w3.eth.get_balance(Web3.to_checksum_address(account)))


def gas_paid(receipt: Any) -> int:
    return int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"])


def market_events(market: Market, name: str, task_id: int) -> list[dict[str, Any]]:
    logs = getattr(market.contract.events, name)().get_logs(from_block=0, argument_filters={"taskId": task_id})
    return [dict(log["args"]) for log in logs]


def test_spoke_payer_publishes_in_native_coin_nodes_train_at_home_and_the_escrow_settles_to_the_wei(
        crosschain: CrossChain) -> None:
    x, chains = crosschain, crosschain.chains
    home_gw, spoke_gw = chains.home_gateway(), chains.spoke_gateway(REQUESTER)
    payer, backer = chains.address(REQUESTER), chains.address(DEPLOYER)
    budget = 10**18 + 7  # odd: the split's rounding dust goes back to the payer
    pool_before = home_gw.liquidity()
    held_before = spoke_balance(x, spoke_gw.address)
    credits_before = {a: spoke_gw.credits(a) for a in (payer, backer)}

    published = publish(x, budget)
    assert published.budget == budget
    assert spoke_balance(x, spoke_gw.address) - held_before == budget  # the fee went to Hyperlane's paymaster
    task_id = bridged_task(x, published)
    record = home_gw.bridged(task_id)
    assert (record.origin, record.escrow_id, record.payer, record.budget) == (x.spoke_domain, published.escrow_id,
                                                                              payer, budget)
    market = x.net.market()
    assert market.task(task_id).requester == record.account  # the task's own account, not the payer
    ack_fee = pool_before - budget - home_gw.liquidity()
    assert 0 < ack_fee < 10**15
    chains.home.client(0).wait_for("the ACK on the spoke", lambda: spoke_gw.escrow(published.escrow_id).status
                                   == EscrowStatus.ACKNOWLEDGED, timeout=90)

    x.net.settle(task_id)  # two nodes train it for real; the oracle reports, settles and relays
    x.net.run_until("settlement relayed", lambda: home_gw.bridged(task_id).status == BridgedStatus.RELAYED)
    relayed = home_gw.events("SettlementRelayed", taskId=task_id)
    assert len(relayed) == 1
    settle_id = "0x" + bytes(relayed[0]["messageId"]).hex()
    chains.relayer.wait_delivered(SPOKE, settle_id)  # type: ignore[union-attr]

    # Home: the market paid the nodes and the fee from the budget, the refund went back to the pool.
    settled = market_events(market, "TaskSettled", task_id)[0]
    paid_nodes = sum(e["amount"] for e in market_events(market, "NodePaid", task_id))
    refund = settled["refund"]
    assert paid_nodes == settled["paid"] > 0 and settled["paid"] + settled["fee"] + refund == budget
    assert (relayed[0]["paid"], relayed[0]["refund"]) == (budget - refund, refund)
    assert home_gw.liquidity() == pool_before - budget - ack_fee + refund
    assert market.claimable(record.account) == 0

    # Spoke: escrowed = credited, B - R to the route's backer (what the pool paid at home), R to the payer.
    escrow = spoke_gw.escrow(published.escrow_id)
    assert escrow.status == EscrowStatus.SETTLED
    credited = spoke_gw.events("Credited", escrowId=published.escrow_id)
    assert {e["account"]: e["amount"] for e in credited} == {backer: budget - refund, payer: refund}
    assert sum(e["amount"] for e in credited) == escrow.budget == budget
    assert spoke_gw.credits(backer) - credits_before[backer] == budget - refund
    assert spoke_gw.credits(payer) - credits_before[payer] == refund

    # The payer claims on the spoke: its balance grows by its credits minus gas, the gateway's shrinks.
    owed = spoke_gw.credits(payer)
    balance = spoke_balance(x, payer)
    receipt = spoke_gw.claim()
    assert spoke_balance(x, payer) == balance + owed - gas_paid(receipt)
    assert spoke_gw.credits(payer) == 0


def test_relayer_down_past_the_ack_deadline_the_payer_reclaims_and_the_late_publish_is_refused_at_home(
        crosschain: CrossChain) -> None:
    x, chains = crosschain, crosschain.chains
    relayer = chains.relayer
    assert relayer is not None
    home_gw, spoke_gw = chains.home_gateway(), chains.spoke_gateway(REQUESTER)
    payer = chains.address(REQUESTER)
    budget = 3 * 10**17
    pool_before = home_gw.liquidity()

    relayer.stop()
    try:
        published = publish(x, budget)
        with pytest.raises(ContractRevertError, match="AckDeadlineNotReached"):
            spoke_gw.reclaim(published.escrow_id)
        with pytest.raises(ContractRevertError, match="NotPayer"):
            chains.spoke_gateway(STRANGER).reclaim(published.escrow_id)
        chains.advance_time(chains.ack_window + 1)
        spoke_gw.reclaim(published.escrow_id)
        assert spoke_gw.escrow(published.escrow_id).status == EscrowStatus.RECLAIMED
        owed = spoke_gw.credits(payer)
        assert owed >= budget
        balance = spoke_balance(x, payer)
        receipt = spoke_gw.claim()
        assert spoke_balance(x, payer) == balance + owed - gas_paid(receipt)
    finally:
        relayer.start()  # catches up: the PUBLISH dispatched during the outage is delivered now

    relayer.wait_delivered(HOME, published.message_id)
    assert home_gw.refused(x.spoke_domain, published.escrow_id)
    ignored = home_gw.events("MessageIgnored", escrowId=published.escrow_id, origin=x.spoke_domain)
    assert [e["reason"] for e in ignored] == ["past deadline"]
    assert home_gw.events("TaskBridged", escrowId=published.escrow_id, origin=x.spoke_domain) == []
    assert home_gw.liquidity() == pool_before  # the pool paid nothing for it
    assert spoke_gw.escrow(published.escrow_id).status == EscrowStatus.RECLAIMED
    assert spoke_gw.credits(payer) == 0
    with pytest.raises(ContractRevertError, match="NotReclaimable"):
        spoke_gw.reclaim(published.escrow_id)


def test_a_settlement_relayed_twice_or_delivered_twice_pays_once(crosschain: CrossChain) -> None:
    x, chains = crosschain, crosschain.chains
    relayer = chains.relayer
    assert relayer is not None
    spoke_gw = chains.spoke_gateway(REQUESTER)
    payer = chains.address(REQUESTER)
    budget = 2 * 10**17
    published = publish(x, budget, apply_window=30)
    task_id = bridged_task(x, published)

    # Nobody applies: applications close, a stranger expires the task and relays its settlement
    # first (anyone may); the oracle's keeper then finds it relayed and sends nothing.
    chains.advance_time(30 + 60 + 1)  # past the apply window and the relay allowance
    stranger = HomeGateway(chains.home_client(STRANGER), chains.home_gateway_address)
    Market(chains.home_client(STRANGER)).expire(task_id)
    assert x.net.market().task(task_id).status == TaskStatus.EXPIRED
    settle_id, _ = stranger.relay_settlement(task_id)
    x.net.oracle.sync()
    assert (task_id, "relay_settlement") not in x.net.oracle.poke()
    assert x.net.oracle.bridge is not None and task_id not in x.net.oracle.bridge.open
    with pytest.raises(ContractRevertError, match="NotRelayable"):
        stranger.relay_settlement(task_id)
    relayer.wait_delivered(SPOKE, settle_id)
    assert spoke_gw.escrow(published.escrow_id).status == EscrowStatus.SETTLED
    assert spoke_gw.credits(payer) == budget  # expired unassigned: the whole budget back

    # The SETTLE delivered again by hand: the Mailbox delivers a message id once, nothing more is credited.
    relayer.hand.deliver(HOME, settle_id)
    assert spoke_gw.credits(payer) == budget
    assert len(spoke_gw.events("Credited", escrowId=published.escrow_id)) == 1
    assert len(spoke_gw.events("Settled", escrowId=published.escrow_id)) == 1

    # A restarted keeper (its ledger on disk) relays nothing either.
    oracle = x.net.oracle
    keeper = SettlementKeeper(oracle.client, chains.home_gateway_address, oracle.settings.data_dir / "oracle"
                              / "bridge.json", 0)
    assert keeper.relay_due() == [] and task_id not in keeper.open

    balance = spoke_balance(x, payer)
    receipt = spoke_gw.claim()
    assert spoke_balance(x, payer) == balance + budget - gas_paid(receipt)
