"""Zero-knowledge result submission on a real anvil chain, verified optimistically: proofs posted
through TaskMarket.submitProof unverified, checked by the oracle in Python, and challenged
on-chain (ResultProofs.challenge, the generated verifier) when they fail; hidden-result
consensus over agreement tags."""

from __future__ import annotations

import hashlib
import time
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from web3 import Web3

from nnc.chain.acceptance import AcceptanceBook
from nnc.chain.deploy import NNT
from nnc.chain.market import Market
from nnc.chain.registry import Registry
from nnc.chain.result_proofs import ResultProofs
from nnc.chain.types import Bond, TaskStatus
from nnc.cli import cli
from nnc.devnet import ORACLE, REQUESTER, Devnet
from nnc.errors import ContractRevertError
from nnc.oracle.daemon import Oracle
from nnc.oracle.index import EventIndex
from nnc.oracle.proof_checks import checker_pool
from nnc.oracle.proofs import ProofAuditor
from nnc.runtimes.dispatch import train
from nnc.task import load_spec
from nnc.zk import (
    FIELD_MODULUS,
    CommitmentProof,
    agreement_tag,
    labels_commitment,
    prove_acceptance,
    prove_commitment,
    task_key,
    verify,
)
from nnc.zk.proof import Proof
from tests.e2e.harness import TINY_SPEC, Network, advance_time, make_network

pytestmark = pytest.mark.e2e

DIGEST = hashlib.sha256(b"the model").digest()


def assigned(chain: Devnet, tmp_path: Path, replication: int) -> tuple[Network, int, list[Market]]:
    """A task assigned to `replication` registered nodes that have not trained it (yet)."""
    net = make_network(chain, tmp_path, chain.node_indices()[:replication])
    task_id = net.publish(replication=replication)
    for worker in net.workers:
        worker.sync()
    net.oracle.sync()
    net.poke()
    assert net.status(task_id) == TaskStatus.ASSIGNED
    return net, task_id, [Market(chain.client(i)) for i in chain.node_indices()[:replication]]


def proof_for(market: Market, task_id: int, digest: bytes = DIGEST) -> CommitmentProof:
    return prove_commitment(market.statement_key(task_id), market.client.address, digest)


def reverted(call: object) -> str | None:
    try:
        call()  # type: ignore[operator]
    except ContractRevertError as exc:
        return exc.name
    return None


def test_posted_proof_is_stored_unverified_and_its_statement_key_matches_the_chain(
        chain: Devnet, tmp_path: Path) -> None:
    net, task_id, (node,) = assigned(chain, tmp_path, 1)
    proofs = ResultProofs(node.client, node.result_proofs(task_id))
    assert proofs.task_key(task_id) == node.statement_key(task_id)  # Python and Solidity agree
    p = proof_for(node, task_id)
    assert verify(p.proof)
    receipt = node.submit_proof(task_id, p)
    assert receipt["status"] == 1 and receipt["gasUsed"] < 150_000  # no pairing on submission
    assert node.result_of(task_id, node.client.address) == p.agreement_tag.to_bytes(32, "big")
    words = p.proof.calldata()
    stored = node.participation(task_id, node.client.address).proof_hash
    assert stored == Web3.keccak(b"".join(w.to_bytes(32, "big") for w in words))[:28]
    assert node.proof_of(task_id, node.client.address) == (p.agreement_tag, stored)
    assert proofs.is_valid(task_id, node.client.address, p.agreement_tag, words)
    assert net.status(task_id) == TaskStatus.SUBMITTED
    net.oracle.sync()
    assert not [a for a in net.poke() if a[1] == "challenge_proof"]  # verified in Python, left alone
    assert net.oracle.proofs.verdicts[task_id] == {node.client.address.lower(): True}


def test_oracle_challenges_a_tampered_proof_and_one_for_another_chain_both_slashed(
        chain: Devnet, tmp_path: Path) -> None:
    """Two nodes post proofs that the market stores unchecked: one tampered (a point off the
    curve), one valid but made for another chain id (domain separation). The oracle verifies
    both in Python, challenges both on-chain; both nodes are out and slashed, the requester is
    refunded in full, and the oracle gets its bonds back."""
    net, task_id, (tamperer, elsewhere) = assigned(chain, tmp_path, 2)
    p = proof_for(tamperer, task_id)
    tamperer.submit_proof(task_id, replace(p, proof=replace(p.proof, a=(p.proof.a[0], p.proof.a[1] ^ 1))))
    other_chain = prove_commitment(task_key(1, elsewhere.contract.address, task_id), elsewhere.client.address, DIGEST)
    assert verify(other_chain.proof)  # a sound proof, of another statement
    elsewhere.submit_proof(task_id, other_chain)
    assert net.status(task_id) == TaskStatus.SUBMITTED
    registry = Registry(chain.client(0))
    staked = {m.client.address: registry.node(m.client.address).staked for m in (tamperer, elsewhere)}
    collateral = tamperer.task(task_id).collateral
    net.oracle.sync()
    assert [a for a in net.poke() if a[1] == "challenge_proof"] == [(task_id, "challenge_proof")] * 2
    for m in (tamperer, elsewhere):
        assert m.participation(task_id, m.client.address).bond == Bond.SLASHED
        assert registry.node(m.client.address).staked == staked[m.client.address] - collateral
    task = tamperer.task(task_id)
    assert task.status == TaskStatus.FAILED
    requester = net.market()
    assert requester.claimable(requester.client.address) >= task.budget  # everything back to the requester
    proofs = ResultProofs(net.oracle.client, tamperer.result_proofs(task_id))
    assert proofs.owed(net.oracle.client.address) == 2 * proofs.challenge_bond()


def test_copied_proof_is_challenged_and_a_false_challenge_loses_its_bond(chain: Devnet, tmp_path: Path) -> None:
    """A lazy node copies the honest node's tag and proof from the chain (both public once
    posted): the proof is bound to the honest address, so the oracle's challenge takes the copier
    out. A griefer challenging the honest node's valid proof pays its bond to that node."""
    net, task_id, (honest, lazy) = assigned(chain, tmp_path, 2)
    p = proof_for(honest, task_id)
    honest.submit_proof(task_id, p)
    lazy.submit_proof(task_id, p)
    griefer = ResultProofs(chain.client(chain.node_indices()[2]), honest.result_proofs(task_id))
    outcome = griefer.challenge(task_id, honest.client.address, p.proof.calldata())
    assert not outcome.fraud
    assert griefer.owed(honest.client.address) == griefer.challenge_bond()
    net.oracle.sync()
    assert (task_id, "challenge_proof") in net.poke()
    assert lazy.participation(task_id, lazy.client.address).bond == Bond.SLASHED
    assert honest.participation(task_id, honest.client.address).bond == Bond.LOCKED
    assert net.status(task_id) == TaskStatus.SUBMITTED  # the honest node settles alone
    assert reverted(lambda: griefer.challenge(task_id, lazy.client.address, p.proof.calldata())) == \
        "ProofNotChallengeable"  # no second slash


def test_the_daemon_checks_proofs_in_its_checker_process_and_sends_nothing_for_a_task_until_the_verdicts_are_in(
        chain: Devnet, tmp_path: Path) -> None:
    """The daemon's auditor hands each posted proof to its checker process (off the poll loop):
    the round that sees the proofs sends nothing for the task, a later one reads the verdicts and
    challenges the failing proof; the valid one is left alone."""
    net, task_id, (honest, tamperer) = assigned(chain, tmp_path, 2)
    oracle = net.oracle
    oracle.proofs = ProofAuditor(oracle.client, oracle.market, oracle.index, checker_pool())
    try:
        honest.submit_proof(task_id, proof_for(honest, task_id))
        p = proof_for(tamperer, task_id)
        tamperer.submit_proof(task_id, replace(p, proof=replace(p.proof, c=p.proof.a)))  # on the curve, wrong
        oracle.sync()
        assert oracle.poke() == [] and oracle.proofs.pending(task_id)  # handed over; the round goes on
        deadline = time.monotonic() + 60
        actions: list[tuple[int, str]] = []
        while not actions and time.monotonic() < deadline:
            actions = oracle.poke()
            time.sleep(0.1)
        oracle.pending.wait_mined()
        assert actions == [(task_id, "challenge_proof")]
        assert not oracle.proofs.pending(task_id)
        assert oracle.proofs.verdicts[task_id] == {honest.client.address.lower(): True,
                                                   tamperer.client.address.lower(): False}
        assert tamperer.participation(task_id, tamperer.client.address).bond == Bond.SLASHED
        assert honest.participation(task_id, honest.client.address).bond == Bond.LOCKED
    finally:
        oracle.proofs.close()


def test_out_of_range_tags_and_plain_digests_are_rejected(chain: Devnet, tmp_path: Path) -> None:
    _, task_id, (node,) = assigned(chain, tmp_path, 1)
    p = proof_for(node, task_id)
    wrapped = replace(p, agreement_tag=p.agreement_tag + FIELD_MODULUS)  # the same field element, another uint256
    assert reverted(lambda: node.submit_proof(task_id, wrapped)) == "TagNotAFieldElement"
    assert reverted(lambda: node.submit(task_id, DIGEST)) == "ProofRequired"
    raw = Proof.from_calldata(p.proof.calldata(), p.proof.public_signals)
    assert raw == p.proof  # the calldata round trip the oracle relies on


def test_three_replicas_one_trained_differently_two_paid_third_frozen_then_released_by_the_oracle(
        chain: Devnet, tmp_path: Path) -> None:
    """Issue 12 (a): the outvoted replica of a proven task is frozen at settlement until the task's
    `challengeEndsAt` (open to a challenge), and released by the oracle once that has passed:
    once, even when the oracle restarts with a fresh index."""
    nodes = chain.node_indices()[:3]
    net = make_network(chain, tmp_path, nodes[:2])  # two honest daemons
    maverick = Market(chain.client(nodes[2]))
    Registry(chain.client(nodes[2])).register(b"\x01" * 32, 1)
    Registry(chain.client(nodes[2])).stake(200 * NNT)
    task_id = net.publish(replication=3, collateral=10 * NNT)
    maverick.apply(task_id)
    net.step()  # the daemons apply, the oracle assigns (first come), the daemons train and submit
    assert net.status(task_id) in (TaskStatus.ASSIGNED, TaskStatus.RUNNING)

    spec = load_spec(TINY_SPEC)  # the third replica trains with another seed: another model
    other = spec.model_copy(update={"training": spec.training.model_copy(update={"seed": spec.training.seed + 1})})
    result = train(other, tmp_path / "maverick", node=maverick.client.address)
    maverick.submit_result(task_id, result.result_digest, net.store.put_file(result.model_path))
    net.settle(task_id)

    market = net.market()
    honest = {w.node for w in net.workers}
    paid = {e["args"]["node"] for e in market.contract.events.NodePaid().get_logs(
        from_block=0, argument_filters={"taskId": task_id})}
    frozen = [dict(e["args"]) for e in market.contract.events.NodeFrozen().get_logs(
        from_block=0, argument_filters={"taskId": task_id})]
    assert paid == honest
    task = market.task(task_id)
    assert task.status == TaskStatus.SETTLED and task.challenge_ends_at > chain.client(0).block_timestamp()
    assert frozen == [{"taskId": task_id, "node": maverick.client.address, "collateral": 10 * NNT,
                       "until": task.challenge_ends_at}]
    assert market.participation(task_id, maverick.client.address).bond == Bond.FROZEN
    registry = Registry(chain.client(0))
    assert registry.node(maverick.client.address).locked == 10 * NNT  # frozen for the dispute
    for node in honest:
        assert registry.node(node).locked == 0
    settled = market.contract.events.TaskSettled().get_logs(from_block=0, argument_filters={"taskId": task_id})[0]
    assert settled["args"]["paid"] + settled["args"]["fee"] + settled["args"]["refund"] == task.budget

    # Within the freeze window the oracle leaves the frozen seat alone; after it, releases it once.
    net.oracle.sync()
    assert not [a for a in net.poke() if a[1] == "release_frozen"]
    advance_time(chain, task.challenge_ends_at - chain.client(0).block_timestamp() + 1)
    net.oracle.sync()
    assert (task_id, "release_frozen") in net.poke()
    assert market.participation(task_id, maverick.client.address).bond == Bond.RELEASED
    assert registry.node(maverick.client.address).locked == 0
    assert registry.node(maverick.client.address).staked == 200 * NNT  # an honest outvoted node loses nothing
    net.oracle.sync()
    assert net.poke() == []
    fresh = Oracle(net.oracle.settings, chain.client(ORACLE),
                   EventIndex(tmp_path / "fresh-index.sqlite", "fresh", chain.deployment.start_block),  # type: ignore[union-attr]
                   net.store)
    fresh.sync()
    assert fresh.index.frozen_nodes() == []  # rebuilt from the events: released
    assert fresh.poke() == []
    digest = bytes.fromhex(net.workers[0].state.tasks[task_id].result_digest[2:])
    tag = agreement_tag(market.statement_key(task_id), digest)
    assert market.task(task_id).result_digest == tag.to_bytes(32, "big")
    assert market.claimable(maverick.client.address) == 0


def test_oracle_spends_no_gas_on_a_task_whose_failing_proof_stands_on_chain(chain: Devnet, tmp_path: Path) -> None:
    net, task_id, (node,) = assigned(chain, tmp_path, 1)
    # A compromised verifier (its code replaced by `return true`) lets a forged proof stand on-chain.
    w3 = chain.client(0).w3
    verifier = chain.deployment.address_of("ResultCommitmentVerifier")  # type: ignore[union-attr]
    w3.provider.make_request("anvil_setCode", [verifier, "0x600160005260206000f3"])  # type: ignore[arg-type]
    p = proof_for(node, task_id)
    node.submit_proof(task_id, replace(p, proof=replace(p.proof, c=p.proof.a)))
    assert net.status(task_id) == TaskStatus.SUBMITTED
    net.oracle.sync()
    assert net.poke() == [(task_id, "challenge_proof")]  # challenged; the broken verifier says valid
    assert node.participation(task_id, node.client.address).bond == Bond.LOCKED
    assert task_id in net.oracle.proofs.suspect
    advance_time(chain, node.settlement_params().challenge_window + 1)  # settlement is due
    net.oracle.sync()
    assert net.poke() == []  # neither quality report nor settlement
    assert net.status(task_id) == TaskStatus.SUBMITTED


def test_oracle_settles_a_task_whose_proofs_verify_in_python(chain: Devnet, tmp_path: Path) -> None:
    net, task_id, (node,) = assigned(chain, tmp_path, 1)
    node.submit_proof(task_id, proof_for(node, task_id))
    advance_time(chain, node.settlement_params().challenge_window + 1)
    net.oracle.sync()
    assert (task_id, "settle") in net.poke()
    assert net.status(task_id) == TaskStatus.SETTLED


def test_acceptance_verifier_on_chain(chain: Devnet) -> None:
    from nnc.zk import prove_acceptance

    labels = [i % 10 for i in range(256)]
    predictions = [(v + 1) % 10 if i < 20 else v for i, v in enumerate(labels)]
    p = prove_acceptance(predictions, labels, threshold=236, labels_salt=4)
    verifier = chain.client(0).deploy("AcceptanceVerifier")
    words = p.proof.calldata()
    args = ([words[0], words[1]], [[words[2], words[3]], [words[4], words[5]]], [words[6], words[7]])
    assert verifier.functions.verifyProof(*args, list(p.proof.public_signals)).call()
    higher = [p.predictions_commitment, p.labels_commitment, 237, 256, 1]
    assert not verifier.functions.verifyProof(*args, higher).call()


def test_a_model_proven_to_meet_the_hidden_threshold_is_paid_as_accepted_despite_a_rejection(
        chain: Devnet, tmp_path: Path) -> None:
    """Issue 18 item 2: the requester commits hidden labels while its task is Published; the
    oracle, holding their opening, proves that the settled model's predictions met the threshold;
    the requester's "not accepted" report is then void at settlement: the node's reputation
    records an agreement, not a rejection. The same labels could not be committed after
    assignment."""
    net = make_network(chain, tmp_path, chain.node_indices()[:1])
    task_id = net.publish(replication=1)
    requester_book = AcceptanceBook(chain.client(REQUESTER))
    labels = [i % 10 for i in range(64)]
    predictions = [(v + 1) % 10 if i < 3 else v for i, v in enumerate(labels)]  # 61 of 64 right
    requester_book.commit_labels(task_id, labels_commitment(labels, 77), len(labels), 60)
    assert not requester_book.may_reject(task_id)  # labels committed, nothing proven: a rejection is void
    for worker in net.workers:
        worker.sync()
    net.oracle.sync()
    net.poke()
    node = Market(chain.client(chain.node_indices()[0]))
    assert reverted(lambda: requester_book.commit_labels(task_id, 1, len(labels), 60)) in (
        "LabelsAlreadyCommitted", "LabelsTooLate")
    node.submit_proof(task_id, proof_for(node, task_id))
    node.reveal(task_id, "local://model")
    # the requester proves "not met" for a worse model's predictions (it holds the labels too) ...
    worse = [(v + 1) % 10 for v in labels]
    requester_book.prove_outcome(task_id, prove_acceptance(worse, labels, 60, 77))
    assert requester_book.may_reject(task_id)
    # ... the oracle proves "met" for the settled model's own predictions
    AcceptanceBook(net.oracle.client).prove_outcome(task_id, prove_acceptance(predictions, labels, 60, 77))
    assert not requester_book.may_reject(task_id)
    assert not net.market().rejection_stands(task_id)
    env = {"NNC_RPC_URL": chain.rpc_url, "NNC_KEY_FILE": str(chain.key_file(REQUESTER)),
           "NNC_DEPLOYMENT_FILE": str(chain.deployment_file), "NNC_DATA_DIR": str(tmp_path / "cli")}
    ran = CliRunner().invoke(cli, ["task", "score", str(task_id), "2000", "--rejected"], env=env)  # tries anyway
    assert ran.exit_code == 0, ran.output
    assert "the rejection is void at settlement" in ran.output
    assert net.market().task(task_id).rejected
    advance_time(chain, node.settlement_params().challenge_window + 1)
    net.market().settle(task_id)
    reputation = chain.client(0).contract("Reputation")
    outcomes = [e["args"]["outcome"] for e in reputation.events.ReputationUpdated().get_logs(
        from_block=0, argument_filters={"taskId": task_id})]
    assert outcomes and 5 not in outcomes  # Outcome.Rejected (5) is not what the node got

