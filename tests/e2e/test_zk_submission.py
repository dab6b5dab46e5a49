"""Zero-knowledge result submission on a real anvil chain: proofs checked by the generated
verifier through TaskMarket.submitProof, and hidden-result consensus over agreement tags."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from nnc.chain.deploy import NNT
from nnc.chain.market import Market
from nnc.chain.registry import Registry
from nnc.chain.types import Bond, TaskStatus
from nnc.devnet import ORACLE, Devnet
from nnc.errors import ContractRevertError
from nnc.oracle.daemon import Oracle
from nnc.oracle.index import EventIndex
from nnc.oracle.proofs import ProofChecker
from nnc.runtimes.dispatch import train
from nnc.task import load_spec
from nnc.zk import FIELD_MODULUS, CommitmentProof, agreement_tag, commitment, prove_commitment, verify
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
    net.oracle.poke()
    assert net.status(task_id) == TaskStatus.ASSIGNED
    return net, task_id, [Market(chain.client(i)) for i in chain.node_indices()[:replication]]


def proof_for(market: Market, task_id: int, digest: bytes = DIGEST, salt: int = 42) -> CommitmentProof:
    return prove_commitment(task_id, market.client.address, digest, salt)


def reverted(call: object) -> str | None:
    try:
        call()  # type: ignore[operator]
    except ContractRevertError as exc:
        return exc.name
    return None


def test_valid_proof_is_accepted_on_chain_and_in_python(chain: Devnet, tmp_path: Path) -> None:
    net, task_id, (node,) = assigned(chain, tmp_path, 1)
    p = proof_for(node, task_id)
    assert verify(p.proof)
    receipt = node.submit_proof(task_id, p)
    assert receipt["status"] == 1
    proofs = chain.client(0).at("ResultProofs", node.result_proofs())
    assert proofs.functions.commitmentOf(task_id, node.client.address).call() == p.commitment
    assert node.result_of(task_id, node.client.address) == p.agreement_tag.to_bytes(32, "big")
    assert net.status(task_id) == TaskStatus.SUBMITTED
    assert ProofChecker(net.oracle.client, net.oracle.market).task_valid(task_id)  # read back from the tx


def test_tampered_proof_is_rejected(chain: Devnet, tmp_path: Path) -> None:
    _, task_id, (node,) = assigned(chain, tmp_path, 1)
    p = proof_for(node, task_id)
    off_curve = replace(p, proof=replace(p.proof, a=(p.proof.a[0], p.proof.a[1] ^ 1)))
    wrong_point = replace(p, proof=replace(p.proof, c=p.proof.a))
    for bad in (off_curve, wrong_point):
        assert not verify(bad.proof)
        assert reverted(lambda b=bad: node.submit_proof(task_id, b)) == "InvalidResultProof"
    assert not any(node.result_of(task_id, node.client.address))


def test_proof_replayed_by_another_address_is_rejected(chain: Devnet, tmp_path: Path) -> None:
    _, task_id, (honest, thief) = assigned(chain, tmp_path, 2)
    p = proof_for(honest, task_id)
    assert reverted(lambda: thief.submit_proof(task_id, p)) == "InvalidResultProof"
    assert honest.submit_proof(task_id, p)["status"] == 1


def test_copied_agreement_tag_without_the_digest_is_rejected(chain: Devnet, tmp_path: Path) -> None:
    _, task_id, (honest, lazy) = assigned(chain, tmp_path, 2)
    honest_proof = proof_for(honest, task_id)
    honest.submit_proof(task_id, honest_proof)
    # The lazy node copies the tag it saw on-chain; it can prove only its own (wrong) digest.
    own = proof_for(lazy, task_id, hashlib.sha256(b"a guess").digest())
    copied = replace(own, agreement_tag=honest_proof.agreement_tag,
                     proof=own.proof.with_public_signals((*own.proof.public_signals[:3], honest_proof.agreement_tag)))
    assert not verify(copied.proof)
    assert reverted(lambda: lazy.submit_proof(task_id, copied)) == "InvalidResultProof"


def test_out_of_range_public_inputs_and_plain_digests_are_rejected(chain: Devnet, tmp_path: Path) -> None:
    _, task_id, (node,) = assigned(chain, tmp_path, 1)
    p = proof_for(node, task_id)
    wrapped = replace(p, commitment=p.commitment + FIELD_MODULUS)  # the same field element, another uint256
    assert reverted(lambda: node.submit_proof(task_id, wrapped)) == "NotAFieldElement"
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
    assert not [a for a in net.oracle.poke() if a[1] == "release_frozen"]
    advance_time(chain, task.challenge_ends_at - chain.client(0).block_timestamp() + 1)
    net.oracle.sync()
    assert (task_id, "release_frozen") in net.oracle.poke()
    assert market.participation(task_id, maverick.client.address).bond == Bond.RELEASED
    assert registry.node(maverick.client.address).locked == 0
    assert registry.node(maverick.client.address).staked == 200 * NNT  # an honest outvoted node loses nothing
    net.oracle.sync()
    assert net.oracle.poke() == []
    fresh = Oracle(net.oracle.settings, chain.client(ORACLE),
                   EventIndex(tmp_path / "fresh-index.sqlite", "fresh", chain.deployment.start_block),  # type: ignore[union-attr]
                   net.store)
    fresh.sync()
    assert fresh.index.frozen_nodes() == []  # rebuilt from the events: released
    assert fresh.poke() == []
    digest = bytes.fromhex(net.workers[0].state.tasks[task_id].result_digest[2:])
    assert market.task(task_id).result_digest == agreement_tag(task_id, digest).to_bytes(32, "big")
    assert market.claimable(maverick.client.address) == 0
    # Each honest worker kept the salt that opens its recorded commitment (for the dispute).
    proofs = chain.client(0).at("ResultProofs", market.result_proofs(task_id))
    for worker in net.workers:
        record = worker.state.tasks[task_id]
        opened = commitment(task_id, worker.node, bytes.fromhex(record.result_digest[2:]), int(record.salt))
        assert proofs.functions.commitmentOf(task_id, worker.node).call() == opened


def test_oracle_refuses_to_spend_gas_on_a_task_whose_proof_fails_in_python(chain: Devnet, tmp_path: Path) -> None:
    net, task_id, (node,) = assigned(chain, tmp_path, 1)
    # A compromised verifier (its code replaced by `return true`) lets a forged proof through on-chain.
    w3 = chain.client(0).w3
    verifier = chain.deployment.address_of("ResultCommitmentVerifier")  # type: ignore[union-attr]
    w3.provider.make_request("anvil_setCode", [verifier, "0x600160005260206000f3"])  # type: ignore[arg-type]
    p = proof_for(node, task_id)
    forged = replace(p, proof=replace(p.proof, c=p.proof.a))
    node.submit_proof(task_id, forged)
    assert net.status(task_id) == TaskStatus.SUBMITTED
    advance_time(chain, node.settlement_params().challenge_window + 1)  # settlement is due
    net.oracle.sync()
    assert net.oracle.poke() == []  # neither quality report nor settlement
    assert not net.oracle.proofs.task_valid(task_id)
    assert net.status(task_id) == TaskStatus.SUBMITTED


def test_oracle_settles_a_task_whose_proofs_verify_in_python(chain: Devnet, tmp_path: Path) -> None:
    net, task_id, (node,) = assigned(chain, tmp_path, 1)
    node.submit_proof(task_id, proof_for(node, task_id))
    advance_time(chain, node.settlement_params().challenge_window + 1)
    net.oracle.sync()
    assert (task_id, "settle") in net.oracle.poke()
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
