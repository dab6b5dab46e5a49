"""The model library on a real devnet: a task trained by a real worker, settled, then listed by
its requester with the facts the contract reads from the market; an outside model shared,
unverified, with lineage."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from nnc.chain.models import ModelMetadata, Models, Visibility
from nnc.chain.revert import ContractRevertError
from nnc.devnet import REQUESTER, Devnet
from tests.e2e.harness import make_network

METADATA = ModelMetadata(model_uri="local://model", licence="Apache-2.0", framework="pytorch", metric="accuracy",
                         spec_uri="local://spec", program_digest=hashlib.sha256(b"program").digest())


def test_a_settled_tasks_model_is_listed_by_its_requester_with_the_markets_facts(chain: Devnet,
                                                                                 tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, chain.node_indices()[:1])
    task_id = net.publish(replication=1)
    models = Models(chain.client(REQUESTER))
    stranger = Models(chain.client(chain.node_indices()[0]))  # the node that trains it
    with pytest.raises(ContractRevertError) as err:  # not settled yet
        models.register_from_task(task_id, METADATA)
    assert err.value.name == "TaskNotSettled"
    net.settle(task_id)
    task = net.market().task(task_id)
    revealed = net.market().revealed_results(task_id)
    metadata = ModelMetadata(**{**METADATA.__dict__, "model_uri": str(revealed[0][1])})

    with pytest.raises(ContractRevertError) as err:  # the paid node is not the requester
        stranger.register_from_task(task_id, metadata)
    assert err.value.name == "NotTaskRequester"
    model_id = models.register_from_task(task_id, metadata, visibility=Visibility.SEALED)

    model = models.model(model_id)
    assert (model.task_id, model.verified_by, model.verified) == (task_id, task_id, True)
    assert model.model_digest == task.result_digest and model.spec_digest == task.spec_digest
    assert (model.metric_value, model.scored_by) == (task.quality_score, task.scored_by)
    assert model.visibility == Visibility.SEALED and model.metadata == metadata
    requester = chain.client(REQUESTER).address
    assert [(o.account, o.share_bps) for o in models.owners_of(model_id)] == [(requester, 10_000)]
    assert models.model_of_task(task_id) == model_id and models.models_of(requester) == [model_id]
    with pytest.raises(ContractRevertError) as err:
        models.register_from_task(task_id, metadata)
    assert err.value.name == "TaskAlreadyUsed"


def test_an_outside_model_is_shared_unverified_with_its_lineage(chain: Devnet) -> None:
    models = Models(chain.client(REQUESTER))
    base = models.share(hashlib.sha256(b"base").digest(), METADATA)
    tuned = models.share(hashlib.sha256(b"tuned").digest(), METADATA, parent_id=base)
    shared = models.model(tuned)
    assert not shared.verified and shared.task_id == 0 and shared.parent_id == base
    assert models.lineage(tuned) == [base] and models.children_of(base) == [tuned]
    assert models.model_of_task(1) is None and models.count() == 2
    with pytest.raises(ContractRevertError) as err:
        models.share(b"\x00" * 32, METADATA)
    assert err.value.name == "ZeroModelDigest"
    with pytest.raises(ContractRevertError) as err:
        models.model(99)
    assert err.value.name == "UnknownModel"
