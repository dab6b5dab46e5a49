"""The model library's whole life on one devnet, each step by the real daemons: a requester's task
is trained and settled and the oracle lists its model with its provenance; a second requester
fine-tunes it (the oracle lists the child with its parent and records the use, so that requester
rates the parent as a verified user); a third runs the fine-tuned model as a replicated inference
task on two sandboxed workers, which agree and are paid; the outputs delivered by `nnc task
result` pick the classes `nnc model run` prints for the fine-tuned model on this machine."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from nnc.chain.deploy import NNT
from nnc.chain.models import Models
from nnc.chain.ratings import Ratings
from nnc.chain.types import TaskStatus
from nnc.cli import cli
from nnc.devnet import DEPLOYER, REQUESTER, Devnet
from nnc.inference import read_outputs
from nnc.task import BaseModelSpec, load_spec, parse_spec
from nnc.task.publish import PublishOptions, publish_task
from tests.e2e.harness import TINY_SPEC, make_network
from tests.inference_specs import inference_document, write_inputs, write_weights

FINE_TUNER = 7  # a free devnet account: the second requester
INPUTS = 128  # two shards of 64


def test_train_list_rate_fine_tune_and_run_inference_on_the_child(chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, chain.node_indices()[:2], sandbox=True)
    assert net.oracle.library is not None
    models, ratings = Models(chain.client(FINE_TUNER)), Ratings(chain.client(FINE_TUNER))

    # 1. trained, settled, listed by the oracle with its provenance
    tiny = load_spec(TINY_SPEC)
    spec = parse_spec({**json.loads(TINY_SPEC.read_text()), "library": {"licence": "Apache-2.0", "domain": "vision"}})
    trained = net.publish(spec, replication=1)
    net.settle(trained)
    assert net.oracle.library.catalogue() == [(trained, "register_model")]
    parent = models.model_of_task(trained)
    assert parent is not None
    listing = models.model(parent)
    assert (listing.task_id, listing.verified, listing.metadata.licence) == (trained, True, "Apache-2.0")
    assert listing.model_digest == net.market().task(trained).result_digest

    # 2. fine-tuned by another requester: the child lists its parent; the fine-tuner is a verified user
    child_spec = tiny.model_copy(update={
        "name": "tiny digits MLP, fine-tuned", "base_model": BaseModelSpec(id=parent),
        "training": tiny.schedule.model_copy(update={"seed": 11, "steps": 20, "checkpoint_interval": 10})})
    fine_tune, _ = publish_task(chain.client(FINE_TUNER), net.store, child_spec,
                                PublishOptions(budget=10**17, collateral=10 * NNT, deadline=600))
    net.settle(fine_tune)
    assert net.oracle.library.catalogue() == [(fine_tune, "register_model"), (fine_tune, "record_use")]
    child = models.model_of_task(fine_tune)
    assert child is not None and models.lineage(child) == [parent] and models.children_of(parent) == [child]
    ratings.rate(parent, 5, "")
    assert ratings.summary(parent).shown == (5.0, "verified")

    # 3. a third requester runs the child as a replicated inference task
    inputs = write_inputs(tmp_path / "inputs.npz", INPUTS)
    document = inference_document(write_weights(tmp_path / "unused.safetensors"), INPUTS, dataset=inputs)
    del document["init"]
    document["base_model"] = {"id": child}
    document["dataset"]["uri"] = net.store.put_file(inputs)
    inference = parse_spec(document)
    task_id, _ = publish_task(chain.client(DEPLOYER), net.store, inference, PublishOptions(
        budget=10**18, replication=2, collateral=10 * NNT, apply_window=60, deadline=600))
    net.settle(task_id)
    market = net.market()
    task = market.task(task_id)
    assert task.status == TaskStatus.SETTLED
    assert {market.result_of(task_id, node) for node in market.assignees(task_id)} == {task.result_digest}
    assert net.oracle.library.catalogue() == [(task_id, "record_use")], "outputs are not listed as a model"
    assert ratings.use_of_task(task_id) == child
    assert models.count() == 2

    env = {"NNC_RPC_URL": chain.rpc_url, "NNC_KEY_FILE": str(chain.key_file(DEPLOYER)),
           "NNC_DEPLOYMENT_FILE": str(chain.deployment_file), "NNC_DATA_DIR": str(tmp_path / "cli"),
           "NNC_STORAGE_URL": f"local://{tmp_path / 'store'}"}
    delivered = CliRunner().invoke(cli, ["task", "result", str(task_id), str(tmp_path / "out.npz")], env=env)
    assert delivered.exit_code == 0, delivered.output
    assert inference.inference is not None
    logits = np.concatenate(read_outputs(tmp_path / "out.npz", inference.inference))
    assert logits.shape[0] == INPUTS
    with np.load(inputs) as archive:
        np.savez(tmp_path / "some.npz", inputs=archive["inputs"][:16])
    ran = CliRunner().invoke(cli, ["model", "run", str(child), "--input", str(tmp_path / "some.npz"), "--json"],
                             env=env)
    assert ran.exit_code == 0, ran.output
    assert [p["label"] for p in json.loads(ran.stdout)["predictions"]] == logits[:16].argmax(axis=1).tolist()
    assert REQUESTER != FINE_TUNER != DEPLOYER
