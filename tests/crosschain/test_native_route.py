"""Cross-chain tasks on real Hyperlane (its Mailbox, test ISM and relayer, deployed by its CLI on
two anvil chains): publish with the spoke's native coin, train at home, settle back; the relayer
down past the ACK deadline; a settlement delivered or relayed twice."""

from __future__ import annotations

import os
import re
import signal
from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner
from eth_abi.abi import encode
from eth_abi.packed import encode_packed
from web3 import Web3

from nnc.chain.deploy import NNT
from nnc.chain.generated import CONSTANTS
from nnc.chain.market import Market
from nnc.chain.types import TaskStatus
from nnc.cli import cli
from nnc.crosschain.devnet import HOME, SPOKE
from nnc.crosschain.gateways import BridgedStatus, EscrowStatus, EscrowView, HomeGateway, Published
from nnc.crosschain.relayer import MAILBOX_ABI
from nnc.devnet import DEPLOYER, REQUESTER
from nnc.errors import ContractRevertError
from nnc.oracle.bridge import SettlementKeeper
from nnc.task import load_spec
from nnc.task.publish import PublishOptions
from nnc.task.spoke_publish import publish_on_spoke
from tests.crosschain.conftest import STALL_S, CrossChain, cli_env
from tests.e2e.harness import TINY_SPEC

QUOTE_WITH_METADATA_ABI = [{
    "type": "function", "name": "quoteDispatch", "stateMutability": "view",
    "inputs": [{"name": "destination", "type": "uint32"}, {"name": "recipient", "type": "bytes32"},
               {"name": "body", "type": "bytes"}, {"name": "metadata", "type": "bytes"}],
    "outputs": [{"name": "fee", "type": "uint256"}]}]
"""Hyperlane's Mailbox quote with hook metadata (the gateways' messages name their destination gas)."""

pytestmark = pytest.mark.e2e

STRANGER = 7  # an account with no role on either chain


def publish(x: CrossChain, budget: int, payer: int = REQUESTER, **options: Any) -> Published:
    defaults: dict[str, Any] = {"budget": budget, "replication": 2, "collateral": 10 * NNT, "apply_window": 60,
                                "deadline": 600}
    defaults.update(options)
    published = publish_on_spoke(x.chains.home_client(DEPLOYER), x.chains.spoke_gateway(payer), x.net.store,
                                 load_spec(TINY_SPEC), PublishOptions(**defaults))
    assert isinstance(published, Published)  # native coin
    return published


def publish_with_cli(x: CrossChain, budget: int, options: list[str]) -> EscrowView:
    """`nnc task publish --chain spoke`; the escrow it opened."""
    result = CliRunner().invoke(cli, ["task", "publish", str(TINY_SPEC), "--chain", "spoke", "--budget",
                                      f"{Decimal(budget).scaleb(-18):f}", *options], env=cli_env(x, REQUESTER))
    assert result.exit_code == 0, result.output
    found = re.search(r"as escrow (\d+) .*PUBLISH message (0x[0-9a-f]{64})", result.output)
    assert found, result.output
    escrow = x.chains.spoke_gateway().escrow(int(found.group(1)))
    assert escrow.message_id == found.group(2) and escrow.budget == budget
    return escrow


def bridged_task(x: CrossChain, published: Published | EscrowView) -> int:
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
    home_mailbox = chains.home_client(DEPLOYER).w3.eth.contract(
        address=Web3.to_checksum_address(chains.cores[HOME].mailbox), abi=QUOTE_WITH_METADATA_ABI)
    ack_body = encode(["uint8", "uint256"], [2, published.escrow_id])
    ack_gas = CONSTANTS["CrossChainMessages.ACK_GAS"]  # the destination gas the ACK pays Hyperlane's paymaster for
    metadata = encode_packed(["uint16", "uint256", "uint256", "address"], [1, 0, ack_gas, backer])
    quote = home_mailbox.functions.quoteDispatch(x.spoke_domain, bytes(12) + bytes.fromhex(spoke_gw.address[2:]),
                                                 ack_body, metadata).call()
    assert ack_fee == quote > 0  # the pool paid the budget and the ACK's Hyperlane fee (its gas included) only

    x.net.settle(task_id)  # two nodes train it for real; the oracle reports, settles and relays
    x.net.run_until("settlement relayed", lambda: home_gw.bridged(task_id).status == BridgedStatus.RELAYED)
    relayed = home_gw.events("SettlementRelayed", taskId=task_id)
    assert len(relayed) == 1
    settle_id = "0x" + bytes(relayed[0]["messageId"]).hex()
    shown = CliRunner().invoke(cli, ["task", "status", str(task_id)], env=cli_env(x, REQUESTER))
    assert shown.exit_code == 0, shown.output
    assert (f"origin       chain (Hyperlane domain) {x.spoke_domain}, escrow {published.escrow_id}, paid by {payer}; "
            "settlement relayed") in shown.output
    chains.relayer.wait_delivered(SPOKE, settle_id)  # type: ignore[union-attr]

    # Home: the market paid the nodes and the fee from the budget; the nodes' payouts went to the
    # task's account (the home gateway routes them to the origin chain), which the relay collected
    # into the pool with the refund. Only the treasury's fee stays credited at home.
    settled = market_events(market, "TaskSettled", task_id)[0]
    node_paid = {e["node"]: e["amount"] for e in market_events(market, "NodePaid", task_id)}
    paid_nodes, fee, refund = sum(node_paid.values()), settled["fee"], settled["refund"]
    assert len(node_paid) == 2 and paid_nodes == settled["paid"] > 0 and paid_nodes + fee + refund == budget
    assert home_gw.routed_payouts(task_id) == list(node_paid.items())
    assert all(market.claimable(node) == 0 for node in node_paid)  # nothing for the nodes at home
    assert (relayed[0]["paid"], relayed[0]["refund"]) == (budget - refund, refund)
    assert home_gw.liquidity() == pool_before - budget - ack_fee + refund + paid_nodes
    home_w3 = chains.home_client(DEPLOYER).w3
    assert home_w3.eth.get_balance(Web3.to_checksum_address(home_gw.address)) == home_gw.liquidity()  # no stray coin
    assert home_w3.eth.get_balance(Web3.to_checksum_address(record.account)) == 0
    assert market.claimable(record.account) == 0
    for node, amount in node_paid.items():  # `nnc task status` found the home gateway in the route's record
        assert (f"payout       {Decimal(amount).scaleb(-18).normalize():f} ETH to {node}, credited on the origin "
                "chain") in shown.output

    # Spoke: escrowed = credited: each node its payout, the fee the pool paid at home to the route's
    # backer, the refund to the payer.
    escrow = spoke_gw.escrow(published.escrow_id)
    assert escrow.status == EscrowStatus.SETTLED
    credited = spoke_gw.events("Credited", escrowId=published.escrow_id)
    assert {e["account"]: e["amount"] for e in credited} == {**node_paid, backer: fee, payer: refund}
    assert sum(e["amount"] for e in credited) == escrow.budget == budget
    assert spoke_gw.credits(backer) - credits_before[backer] == fee
    assert spoke_gw.credits(payer) - credits_before[payer] == refund

    # Each node claims its payout on the spoke with the CLI.
    for index in chains.home.node_indices():
        node = chains.address(index)
        owed = spoke_gw.credits(node)
        assert owed >= node_paid[node]
        claimed = CliRunner().invoke(cli, ["claim", "--chain", "spoke"], env=cli_env(x, index))
        assert claimed.exit_code == 0, claimed.output
        assert f"spoke: claimed {Decimal(owed).scaleb(-18).normalize():f} ETH" in claimed.output
        assert spoke_gw.credits(node) == 0

    # The ACK arrives before the SETTLE, or (a loaded relayer delivers out of order) after it and is
    # ignored: either way once, and it moved nothing.
    def ack_seen() -> list[dict[str, Any]]:
        return [*spoke_gw.events("Acknowledged", escrowId=published.escrow_id),
                *spoke_gw.events("MessageIgnored", escrowId=published.escrow_id)]
    chains.home.client(0).wait_for("the ACK on the spoke", lambda: bool(ack_seen()), timeout=90)
    assert len(ack_seen()) == 1

    # The payer claims on the spoke with the CLI: its balance grows by its credits minus gas.
    owed = spoke_gw.credits(payer)
    balance = spoke_balance(x, payer)
    held = spoke_balance(x, spoke_gw.address)
    claimed = CliRunner().invoke(cli, ["claim", "--chain", "spoke"], env=cli_env(x, REQUESTER))
    assert claimed.exit_code == 0, claimed.output
    assert f"spoke: claimed {Decimal(owed).scaleb(-18).normalize():f} ETH" in claimed.output
    claim = spoke_gw.events("Claimed", account=payer)[-1]
    assert claim["amount"] == owed and spoke_gw.credits(payer) == 0
    assert held - spoke_balance(x, spoke_gw.address) == owed
    assert spoke_balance(x, payer) > balance + owed - 10**15  # minus gas


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


def test_a_settlement_delivered_before_its_ack_relayed_twice_or_delivered_twice_pays_once(
        crosschain: CrossChain) -> None:
    x, chains = crosschain, crosschain.chains
    relayer = chains.relayer
    assert relayer is not None
    spoke_gw = chains.spoke_gateway(REQUESTER)
    payer = chains.address(REQUESTER)
    budget = 2 * 10**17
    credits_before = spoke_gw.credits(payer)

    relayer.stop()  # every message of this escrow is delivered by hand, in the order the test picks
    try:
        published = publish_with_cli(x, budget, ["--apply-window", "30", "--deadline", "600", "-r", "2"])
        relayer.hand.deliver(SPOKE, published.message_id)
        task_id = bridged_task(x, published)
        dispatch_id = bytes(Web3.keccak(text="DispatchId(bytes32)"))
        ack_id = next("0x" + bytes(e["topics"][1]).hex() for e in relayer.delivery(HOME, published.message_id)["logs"]
                      if e["topics"] and bytes(e["topics"][0]) == dispatch_id)
        assert spoke_gw.escrow(published.escrow_id).status == EscrowStatus.PENDING  # the ACK is in flight

        # Nobody applies: applications close, a stranger expires the task and relays its settlement
        # first (anyone may); the oracle's keeper then finds it relayed and sends nothing.
        chains.advance_time(30 + 60 + 1)  # past the apply window and the relay allowance
        stranger = HomeGateway(chains.home_client(STRANGER), chains.home_gateway_address)
        Market(chains.home_client(STRANGER)).expire(task_id)
        assert x.net.market().task(task_id).status == TaskStatus.EXPIRED
        settle_id, _ = stranger.relay_settlement(task_id)
        x.net.oracle.sync()
        assert (task_id, "relay_settlement") not in x.net.poke()
        assert x.net.oracle.bridge is not None and task_id not in x.net.oracle.bridge.open
        with pytest.raises(ContractRevertError, match="NotRelayable"):
            stranger.relay_settlement(task_id)

        # The SETTLE overtakes the ACK: the escrow settles from Pending.
        relayer.hand.deliver(HOME, settle_id)
        assert spoke_gw.escrow(published.escrow_id).status == EscrowStatus.SETTLED
        assert spoke_gw.credits(payer) - credits_before == budget  # expired unassigned: the whole budget back
    finally:
        relayer.start()

    # The late ACK is delivered once the relayer is back, and ignored.
    relayer.wait_delivered(SPOKE, ack_id)
    ignored = spoke_gw.events("MessageIgnored", escrowId=published.escrow_id)
    assert [(e["kind"], e["reason"]) for e in ignored] == [(2, "not pending")]
    assert spoke_gw.escrow(published.escrow_id).status == EscrowStatus.SETTLED

    # The SETTLE delivered again by hand: the Mailbox delivers a message id once, nothing more is credited.
    first = relayer.delivery(SPOKE, settle_id)
    relayer.hand.deliver(HOME, settle_id)
    assert relayer.delivery(SPOKE, settle_id)["transactionHash"] == first["transactionHash"]
    assert spoke_gw.credits(payer) - credits_before == budget
    assert len(spoke_gw.events("Credited", escrowId=published.escrow_id)) == 1
    assert len(spoke_gw.events("Settled", escrowId=published.escrow_id)) == 1

    # A restarted keeper (its ledger on disk) relays nothing either.
    oracle = x.net.oracle
    keeper = SettlementKeeper(oracle.client, chains.home_gateway_address, oracle.settings.data_dir / "oracle"
                              / "bridge.json", 0)
    assert keeper.relay_due() == [] and task_id not in keeper.open

    balance = spoke_balance(x, payer)
    owed = spoke_gw.credits(payer)
    receipt = spoke_gw.claim()
    assert spoke_balance(x, payer) == balance + owed - gas_paid(receipt)


def test_a_dead_or_stuck_relayer_is_restarted_and_the_message_it_missed_is_delivered_by_hand(
        crosschain: CrossChain) -> None:
    x, chains = crosschain, crosschain.chains
    relayer = chains.relayer
    assert relayer is not None and relayer.process is not None
    restarts = relayer.restarts

    # Dead: the supervisor starts it again.
    dead = relayer.process
    os.killpg(dead.pid, signal.SIGKILL)
    chains.home.client(0).wait_for("the relayer restarted", lambda: relayer.process is not dead and relayer.running,
                                   timeout=10)
    assert relayer.restarts == restarts + 1

    # Stuck (the probe's busy-waiting relayer, frozen here): a PUBLISH it does not deliver within
    # the stall time gets the frozen process replaced and is delivered, by the new relayer (it
    # resumes from its cache file) or by hand, whichever comes first.
    stuck = relayer.process
    assert stuck is not None
    os.killpg(stuck.pid, signal.SIGSTOP)
    published = publish(x, 10**17, apply_window=600, deadline=1200)  # the windows outlast a slow hand delivery
    relayer.wait_delivered(HOME, published.message_id, timeout=STALL_S + 60)
    assert relayer.restarts >= restarts + 2
    assert stuck.poll() is not None and relayer.running
    refused = chains.home_gateway().events("MessageIgnored", escrowId=published.escrow_id, origin=x.spoke_domain)
    assert chains.home_gateway().task_of(x.spoke_domain, published.escrow_id) is not None, refused


def test_a_publish_forged_by_a_stranger_through_the_mailbox_is_never_delivered_and_blocks_no_one(
        crosschain: CrossChain) -> None:
    """Anyone can dispatch to the home gateway through the Mailbox (and the devnet's test ISM
    verifies nothing): a PUBLISH from a stranger's account, not from the spoke gateway, reverts
    at home for good, so the pool pays nothing; the relayer's supervisor keeps the route alive for
    the payer who publishes after it."""
    x, chains = crosschain, crosschain.chains
    relayer = chains.relayer
    assert relayer is not None
    home_gw = chains.home_gateway()
    pool_before = home_gw.liquidity()
    forged_escrow = 10**9
    stranger = chains.spoke_client(STRANGER)
    now = stranger.block_timestamp()
    body = encode(["uint8", "uint256", "address", "uint256", "uint64", "bytes"],
                  [1, forged_escrow, stranger.address, 100 * 10**18, now + 3600, b""])
    mailbox = stranger.w3.eth.contract(address=Web3.to_checksum_address(chains.cores[SPOKE].mailbox),
                                       abi=MAILBOX_ABI)
    recipient = bytes(12) + bytes.fromhex(home_gw.address[2:])
    fee = mailbox.functions.quoteDispatch(chains.home_chain.domain, recipient, body).call()
    receipt = stranger.transact(mailbox.functions.dispatch(chains.home_chain.domain, recipient, body), value=fee)
    forged_id = next("0x" + bytes(e["topics"][1]).hex() for e in receipt["logs"] if len(e["topics"]) == 2)

    published = publish(x, 10**17)
    task_id = bridged_task(x, published)  # delivered, by the relayer or by hand after the stall time

    assert not relayer.delivered(HOME, forged_id)
    assert home_gw.task_of(x.spoke_domain, forged_escrow) is None
    assert not home_gw.refused(x.spoke_domain, forged_escrow)  # not even seen: handle reverted
    assert [e["taskId"] for e in home_gw.events("TaskBridged", origin=x.spoke_domain,
                                                escrowId=published.escrow_id)] == [task_id]
    assert 10**17 < pool_before - home_gw.liquidity() < 10**17 + 10**15  # the real budget and its ACK fee only


def test_a_node_chooses_where_its_cross_chain_payouts_are_credited(crosschain: CrossChain) -> None:
    x, chains = crosschain, crosschain.chains
    index = chains.home.node_indices()[0]
    node, home_gw = chains.address(index), chains.home_gateway()
    try:
        shown = CliRunner().invoke(cli, ["node", "payouts"], env=cli_env(x, index))
        assert shown.exit_code == 0, shown.output
        assert "credited on each task's origin chain (claim with `nnc claim --chain <name>`)" in shown.output
        chosen = CliRunner().invoke(cli, ["node", "payouts", "--on", "home"], env=cli_env(x, index))
        assert chosen.exit_code == 0, chosen.output
        assert "credited on the home chain" in chosen.output
        assert home_gw.paid_on_home(node)
        assert home_gw.events("PayoutChainChosen", node=node)[-1]["onHome"] is True
    finally:
        back = CliRunner().invoke(cli, ["node", "payouts", "--on", "origin"], env=cli_env(x, index))
    assert back.exit_code == 0, back.output
    assert not home_gw.paid_on_home(node)
    wrong = CliRunner().invoke(cli, ["node", "payouts", "--on", "moon"], env=cli_env(x, index))
    assert wrong.exit_code == 2 and "'moon' is not one of 'origin', 'home'" in wrong.output
