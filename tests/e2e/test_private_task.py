"""A private task: the dataset encrypted to two chosen nodes, each model sealed to the requester and
the node that trained it; a third node cannot read the dataset and does not apply, and no replica
can read another's model."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import torch

from nnc.chain.types import TaskStatus
from nnc.devnet import Devnet
from nnc.errors import NotARecipientError
from nnc.storage.crypto import (
    decrypt_file,
    encrypt_file,
    generate_key,
    is_encrypted,
    parse_public_key,
    public_key_hex,
)
from nnc.task import load_spec
from nnc.task.spec import PrivacySpec
from nnc.training import model_digest
from nnc.training.data import export_dataset, load_dataset_digest
from nnc.worker.state import Phase
from nnc.zk import agreement_tag
from tests.e2e.harness import TINY_SPEC, advance_time, make_network

pytestmark = pytest.mark.e2e


def test_private_task_is_readable_by_its_requester_and_nodes_only(chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, chain.node_indices()[:3])
    chosen, outsider = net.workers[:2], net.workers[2]
    registry = chosen[0].registry
    for worker in net.workers:  # every node published its key when it joined
        assert registry.node(worker.node).encryption_key.hex() == worker.key.public_hex
    requester_key = generate_key(tmp_path / "requester.key")

    spec = load_spec(TINY_SPEC)
    plain = export_dataset(spec.dataset, tmp_path / "digits.npz")
    sealed = encrypt_file(plain, tmp_path / "digits.sealed", [parse_public_key(w.key.public_hex) for w in chosen])
    dataset = spec.dataset.model_copy(update={"uri": net.store.put_file(sealed), "digest": load_dataset_digest(spec)})
    private = spec.model_copy(update={"dataset": dataset,
                                      "privacy": PrivacySpec(requester_key=public_key_hex(requester_key))})
    task_id = net.publish(private, replication=2)
    net.run_until("submitted", lambda: net.status(task_id) == TaskStatus.SUBMITTED)
    net.step()  # the nodes reveal; the oracle cannot read the model and leaves it unscored
    assert net.oracle.index.task(task_id)["quality"] is None  # type: ignore[index]
    # the requester, who holds the key, scores it in the challenge window (issue 12)
    net.market().report_quality(task_id, 8100, True)
    task = net.market().task(task_id)
    assert (task.quality_score, task.scored_by, task.rejected) == (8100, 1, False)  # QualitySource.Requester
    advance_time(chain, task.challenge_ends_at - chain.client(0).block_timestamp() + 1)
    net.run_until("task settled", lambda: net.status(task_id) == TaskStatus.SETTLED)

    assert net.status(task_id) == TaskStatus.SETTLED
    record = outsider.state.tasks[task_id]
    assert record.phase == Phase.SKIPPED and "not encrypted to this node" in record.reason
    assert sorted(net.market().assignees(task_id)) == sorted(w.node for w in chosen)
    digest = net.market().task(task_id).result_digest

    model_uri = chosen[0].state.tasks[task_id].result_uri
    fetched = net.store.get_file(model_uri, tmp_path / "model.sealed")
    assert is_encrypted(fetched)  # what storage holds is ciphertext
    for stranger in (outsider, chosen[1]):  # the other replica cannot copy it either
        with pytest.raises(NotARecipientError):
            decrypt_file(fetched, tmp_path / "stranger.pt", stranger.key.private)
    for reader in (requester_key, chosen[0].key.private):
        model = decrypt_file(fetched, tmp_path / "model.pt", reader)
        state = torch.load(io.BytesIO(model.read_bytes()), map_location="cpu", weights_only=True)
        # the chain holds the agreement tag of the digest (zk proofs), not the digest itself
        key = net.market().statement_key(task_id)
        assert agreement_tag(key, model_digest(state, spec.determinism.digest_decimals)) == int.from_bytes(digest)
    assert net.oracle.index.task(task_id)["quality"] == 8100  # the requester's score, the oracle being no recipient
