"""Fine-tuning from the library on a real devnet: a task trained by a real worker, settled and
registered; a second requester publishes a task whose spec starts from it (`base_model`), the
worker fetches the registered model, checks its digest and trains from it; the result is
registered with its parent, and both models run here with `nnc model run`. A base model whose
file does not match its registered digest is refused by the dry run, by `nnc task publish` and
by the worker before applying; one that vanishes after the worker applied is abandoned as an
invalid task. Fetched models are cached by digest; a sealed one needs a key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner, Result

from nnc.chain.deploy import NNT
from nnc.chain.dispute import CheckStatus, SpotCheck
from nnc.chain.generated import ENUMS
from nnc.chain.models import ModelMetadata, Models, Visibility
from nnc.chain.types import AbandonReason, TaskStatus
from nnc.devnet import DEPLOYER, REQUESTER, Devnet
from nnc.errors import ContentNotFoundError, IntegrityError
from nnc.library import LibraryModelError, fetch_library_model, fetch_task_files
from nnc.runtimes import runtime_for
from nnc.runtimes.dispatch import train
from nnc.storage import LocalStore
from nnc.task import BaseModelSpec, TaskSpec, canonical_json, load_spec
from nnc.task.publish import PublishOptions, publish_task
from nnc.training.data import load_data
from nnc.verification.result import committed_digest
from nnc.verification.scenario import FEE
from nnc.worker.state import Phase
from tests.e2e.harness import TINY_SPEC, Network, advance_time, make_network
from tests.nodes import NODE

pytestmark = pytest.mark.e2e

TUNER = DEPLOYER
"""The second requester: another funded account than the one that trained the parent."""


@dataclass
class Parent:
    net: Network
    task_id: int
    model_id: int
    model_uri: str
    spec_uri: str
    data_dir: Path

    def env(self, account: int) -> dict[str, str | None]:
        devnet = self.net.devnet
        return {"NNC_CONFIG": str(self.data_dir / "absent.toml"), "NNC_RPC_URL": devnet.rpc_url,
                "NNC_DEPLOYMENT_FILE": str(devnet.deployment_file), "NNC_KEY_FILE": str(devnet.key_file(account)),
                "NNC_STORAGE_URL": f"local://{self.data_dir / 'store'}",
                "NNC_DATA_DIR": str(self.data_dir / f"cli-{account}"), "NNC_PRIVATE_KEY": None}


def nnc(parent: Parent, account: int, *args: str) -> Result:
    from nnc.cli import cli

    return CliRunner().invoke(cli, list(args), env=parent.env(account))


def fine_tune_spec(model_id: int, **training: object) -> TaskSpec:
    """The tiny spec again, a new seed and fewer steps, starting from library model `model_id`."""
    spec = load_spec(TINY_SPEC)
    return spec.model_copy(update={
        "name": "tiny digits MLP, fine-tuned", "base_model": BaseModelSpec(id=model_id),
        "training": spec.training.model_copy(update={"seed": 11, "steps": 20, "checkpoint_interval": 10,
                                                     **training})})


def publish_as(net: Network, account: int, spec: TaskSpec) -> int:
    task_id, _ = publish_task(net.devnet.client(account), net.store, spec,
                              PublishOptions(budget=10**18, replication=1, collateral=10 * NNT, deadline=600))
    return task_id


@pytest.fixture(scope="module")
def parent(devnet: Devnet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Parent]:
    """One task trained by one of two workers, settled and registered by its requester; undone at the end."""
    w3 = devnet.client(0).w3
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    data_dir = tmp_path_factory.mktemp("finetune")
    try:
        net = make_network(devnet, data_dir, devnet.node_indices()[:2])  # a trainer, and a verifier to draw
        task_id = net.publish(replication=1)
        net.settle(task_id)
        market = net.market()
        revealed = market.revealed_results(task_id)
        model_uri = str(revealed[0][1])
        spec_uri = str(market.published_event(task_id)["specURI"])
        model_id = Models(devnet.client(REQUESTER)).register_from_task(
            task_id, ModelMetadata(model_uri=model_uri, licence="MIT", framework="torch", metric="accuracy",
                                   spec_uri=spec_uri))
        yield Parent(net, task_id, model_id, model_uri, spec_uri, data_dir)
    finally:
        w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]


def test_another_requester_fine_tunes_a_library_model_and_its_lineage_is_on_chain(parent: Parent,
                                                                                    tmp_path: Path) -> None:
    net, devnet = parent.net, parent.net.devnet
    spec = fine_tune_spec(parent.model_id)
    child_task = publish_as(net, TUNER, spec)
    spot_check = SpotCheck(devnet.client(TUNER))  # the other node replays segments from the same base model
    spot_check.enable(child_task, 2, 0.0, FEE)
    net.run_until("spot-check decided", lambda: spot_check.check(child_task).status
                  in (CheckStatus.PASSED, CheckStatus.FAILED), mine=True)
    assert spot_check.check(child_task).status == CheckStatus.PASSED
    net.step()  # the oracle scores the result, evaluating it from the same base model
    advance_time(devnet, net.market().settlement_params().challenge_window + 1)
    net.run_until("task settled", lambda: net.status(child_task) == TaskStatus.SETTLED)
    market = net.market()
    task = market.task(child_task)
    assert not task.rejected and ENUMS["QualitySource"][task.scored_by] == "Oracle"

    # the worker trained from the parent's weights: the same start here gives the chain's digest,
    # and that start holds exactly the parent's weights (from the seed alone, the digest differs)
    files = fetch_task_files(spec, devnet.client(REQUESTER), net.store, tmp_path / "cache")
    parent_model = fetch_library_model(devnet.client(REQUESTER), net.store, parent.model_id, tmp_path / "cache")
    program = runtime_for(spec, files).make_program(spec)  # type: ignore[attr-defined]
    torch.manual_seed(spec.training.seed)
    start = program.weights(program.build())
    assert start.keys() == parent_model.weights.keys()
    assert all(torch.equal(start[name], parent_model.weights[name]) for name in start)
    here = train(spec, tmp_path / "here", node=NODE, files=files)
    trained = torch.load(here.model_path, map_location="cpu", weights_only=True)
    assert committed_digest(trained, spec.determinism.digest_decimals,
                            market.agreement_key(child_task)) == task.result_digest
    from_seed = spec.model_copy(update={"base_model": None})
    assert train(from_seed, tmp_path / "seed", node=NODE).result_digest != here.result_digest

    revealed = market.revealed_results(child_task)
    model_uri = str(revealed[0][1])
    misstated = nnc(parent, TUNER, "model", "register", str(child_task), "--model-uri", model_uri, "--licence",
                    "Apache-2.0", "--parent", str(parent.model_id + 5))
    assert misstated.exit_code == 2 and f"starts from model {parent.model_id}: its parent is that model" \
        in misstated.output
    registered = nnc(parent, TUNER, "model", "register", str(child_task), "--model-uri", model_uri,
                     "--licence", "Apache-2.0")
    assert registered.exit_code == 0, registered.output
    models = Models(devnet.client(TUNER))
    child_id = models.model_of_task(child_task)
    assert child_id is not None
    assert f"model {child_id} registered (Apache-2.0, torch, fine-tuned from model {parent.model_id})" \
        in registered.stdout
    child = models.model(child_id)
    assert child.parent_id == parent.model_id and child.verified_by == child_task
    assert models.lineage(child_id) == [parent.model_id] and models.children_of(parent.model_id) == [child_id]
    assert [o.account for o in models.owners_of(child_id)] == [devnet.client(TUNER).address]
    shown = nnc(parent, TUNER, "model", "show", str(child_id))
    assert f"lineage       {child_id} <- {parent.model_id}" in shown.stdout

    # both run here: the printed classes are the argmax of each model's logits on the inputs
    data = load_data(spec)
    inputs = tmp_path / "digits.npz"
    np.savez(inputs, inputs=data.eval_x[:6].numpy())
    for model_id in (parent.model_id, child_id):
        ran = nnc(parent, TUNER, "model", "run", str(model_id), "--input", str(inputs), "--json")
        assert ran.exit_code == 0, ran.output
        predictions = json.loads(ran.stdout)["predictions"]
        weights = fetch_library_model(devnet.client(TUNER), net.store, model_id, tmp_path / "cache").weights
        module = program.build()
        module.load_state_dict(weights)
        with torch.no_grad():
            expected = module(data.eval_x[:6]).argmax(dim=1).tolist()
        assert [p["label"] for p in predictions] == expected
        assert all(abs(sum(p["scores"]) - 1) < 1e-9 for p in predictions)
        plain = nnc(parent, TUNER, "model", "run", str(model_id), "--input", str(inputs))
        assert [line.split()[2] for line in plain.stdout.splitlines()] == [str(label) for label in expected]


def test_a_base_model_whose_file_is_not_its_digest_is_refused_and_abandoned(parent: Parent, tmp_path: Path) -> None:
    net, devnet = parent.net, parent.net.devnet
    w3 = devnet.client(0).w3
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    try:
        claimed = hashlib.sha256(b"other weights").digest()
        liar = Models(devnet.client(TUNER)).share(claimed, ModelMetadata(
            model_uri=parent.model_uri, licence="MIT", spec_uri=parent.spec_uri))
        spec = fine_tune_spec(liar)
        spec_file = tmp_path / "spec.json"
        spec_file.write_bytes(canonical_json(spec))

        dry = nnc(parent, TUNER, "task", "dry-run", str(spec_file), "--steps", "2")
        assert dry.exit_code != 0 and isinstance(dry.exception, IntegrityError)
        assert f"expected digest 0x{claimed.hex()} (model {liar}'s registered digest)" in str(dry.exception)
        assert "refusing to use it" in str(dry.exception)

        liars_task = publish_as(net, TUNER, spec)  # as a requester that skips the CLI's checks would
        for worker in net.workers:
            worker.sync()
            record = worker.state.tasks[liars_task]  # not applied for: no collateral at stake
            assert record.phase == Phase.SKIPPED and f"model {liar}'s registered digest" in record.reason

        # a base model that vanishes from storage between application and training: abandoned as invalid
        model_object = net.store.get_bytes(parent.model_uri)
        task_id = publish_as(net, TUNER, fine_tune_spec(parent.model_id))
        for worker in net.workers:
            worker.sync()
            assert worker.state.tasks[task_id].phase == Phase.APPLIED  # the model fetched, checked and cached
            for cached in (worker.local.home / "cache" / "library").glob("*.pt"):
                cached.unlink()
        digest_hex = parent.model_uri.rsplit("/", 1)[1]  # a local:// URI: the object's path is its digest's
        (parent.data_dir / "store" / "sha256" / digest_hex[:2] / digest_hex).unlink()
        try:
            net.run_until("the assigned node gave it up", lambda: any(
                w.state.tasks[task_id].phase == Phase.FAILED for w in net.workers))
        finally:
            assert net.store.put_bytes(model_object) == parent.model_uri
        failed = [w.state.tasks[task_id] for w in net.workers if w.state.tasks[task_id].phase == Phase.FAILED]
        assert len(failed) == 1 and f"no content under {parent.model_uri}" in failed[0].reason
        abandoned = [e for e in net.oracle.index.events(task_id) if e["name"] == "TaskAbandoned"]
        assert [e["args"]["reason"] for e in abandoned] == [AbandonReason.INVALID_TASK]

        unknown = spec_file.with_name("unknown.json")
        unknown.write_bytes(canonical_json(fine_tune_spec(999)))
        refused = nnc(parent, TUNER, "task", "publish", str(unknown), "--budget", "1")
        assert refused.exit_code != 0
        assert "model 999 is not in the library (its models are 1.." in str(refused.exception)
    finally:
        w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]


def test_library_models_are_cached_by_digest_and_sealed_ones_need_a_key(parent: Parent, tmp_path: Path) -> None:
    net, client = parent.net, parent.net.devnet.client(REQUESTER)
    fetched = fetch_library_model(client, net.store, parent.model_id, tmp_path)
    assert fetched.path == tmp_path / "library" / f"{fetched.digest.hex()}.pt"
    assert fetched.digest == net.market().task(parent.task_id).result_digest
    empty = LocalStore(tmp_path / "specs-only")  # the spec is reachable, the model file no longer: the cache serves it
    assert empty.put_bytes(net.store.get_bytes(parent.spec_uri)) == parent.spec_uri
    again = fetch_library_model(client, empty, parent.model_id, tmp_path)
    assert all(torch.equal(again.weights[k], fetched.weights[k]) for k in fetched.weights)
    with pytest.raises(ContentNotFoundError):
        fetch_library_model(client, empty, parent.model_id, tmp_path / "cold")

    fetched.path.write_bytes(fetched.path.read_bytes()[:-8])  # a damaged cache is not trusted: fetched again
    with pytest.raises(ContentNotFoundError):
        fetch_library_model(client, empty, parent.model_id, tmp_path)
    repaired = fetch_library_model(client, net.store, parent.model_id, tmp_path)
    assert repaired.path.read_bytes() == net.store.get_bytes(parent.model_uri)

    w3 = client.w3
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    try:
        Models(client).set_visibility(parent.model_id, Visibility.SEALED)
        with pytest.raises(LibraryModelError, match=f"model {parent.model_id} is sealed"):
            fetch_library_model(client, net.store, parent.model_id, tmp_path / "sealed")
        got = nnc(parent, REQUESTER, "model", "get", str(parent.model_id), str(tmp_path))
        assert got.exit_code != 0 and "is sealed" in str(got.exception)
    finally:
        w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
