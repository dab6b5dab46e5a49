"""The model library through `nnc model ...` and /api/models on a real devnet: a task trained by a
real worker and settled, its model registered by its requester with the CLI, fetched and checked
against the registered digest; a shared model whose file does not match its digest is refused."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner, Result

from nnc.api import ApiContext, create_app
from nnc.chain.models import ModelMetadata, Models
from nnc.devnet import REQUESTER, Devnet
from nnc.storage import LocalStore
from nnc.task import load_spec
from nnc.training import model_digest
from nnc.zk import agreement_tag
from tests.api.test_api import error, ok
from tests.e2e.harness import TINY_SPEC, Network, make_network, settings_for

pytestmark = pytest.mark.e2e


@dataclass
class Library:
    net: Network
    task_id: int
    model_uri: str
    spec_uri: str
    env: dict[str, str | None]
    data_dir: Path


def nnc(library: Library, *args: str) -> Result:
    from nnc.cli import cli

    return CliRunner().invoke(cli, list(args), env=library.env)


@pytest.fixture(scope="module")
def library(devnet: Devnet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    """One settled task (one node, the oracle's score), not yet registered; undone at the end."""
    w3 = devnet.client(0).w3
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    data_dir = tmp_path_factory.mktemp("models")
    try:
        net = make_network(devnet, data_dir, devnet.node_indices()[:1])
        task_id = net.publish(replication=1)
        net.settle(task_id)
        market = net.market()
        revealed = market.revealed_results(task_id)
        env: dict[str, str | None] = {
            "NNC_CONFIG": str(data_dir / "absent.toml"), "NNC_RPC_URL": devnet.rpc_url,
            "NNC_DEPLOYMENT_FILE": str(devnet.deployment_file), "NNC_KEY_FILE": str(devnet.key_file(REQUESTER)),
            "NNC_STORAGE_URL": f"local://{data_dir / 'store'}", "NNC_DATA_DIR": str(data_dir / "cli"),
            "NNC_PRIVATE_KEY": None}
        yield Library(net, task_id, str(revealed[0][1]),
                      str(market.published_event(task_id)["specURI"]), env, data_dir)
    finally:
        w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]


def test_the_requester_registers_lists_shows_and_gets_its_tasks_model(library: Library, tmp_path: Path) -> None:
    registered = nnc(library, "model", "register", str(library.task_id), "--model-uri", library.model_uri,
                     "--licence", "MIT")
    assert registered.exit_code == 0, registered.output
    assert f"task {library.task_id}: model 1 registered (MIT, torch)" in registered.stdout
    again = nnc(library, "model", "register", str(library.task_id), "--model-uri", library.model_uri,
                "--licence", "MIT")
    assert again.exit_code != 0 and "TaskAlreadyUsed" in str(again.exception)
    models = Models(library.net.devnet.client(REQUESTER))
    model = models.model(1)
    task = library.net.market().task(library.task_id)
    assert model.metadata.spec_uri == library.spec_uri and model.metadata.metric == "accuracy"
    child = models.share(hashlib.sha256(b"fine-tuned").digest(),
                         ModelMetadata(model_uri="local://elsewhere", licence="MIT"), parent_id=1)

    listed = nnc(library, "model", "list")
    assert listed.exit_code == 0, listed.output
    rows = listed.stdout.splitlines()[1:]
    assert rows[0].split() == ["1", "yes", "torch", "accuracy", f"{task.quality_score / 100:g}%", "MIT", "-"]
    assert rows[1].split() == [str(child), "no", "-", "-", "MIT", "1"]
    by_task = nnc(library, "model", "list", "--task", str(library.task_id))
    assert [r.split()[0] for r in by_task.stdout.splitlines()[1:]] == ["1"]
    requester = library.net.devnet.client(REQUESTER).address
    by_owner = nnc(library, "model", "list", "--owner", requester)
    assert [r.split()[0] for r in by_owner.stdout.splitlines()[1:]] == ["1", str(child)]
    bad_owner = nnc(library, "model", "list", "--owner", "0x12")
    assert bad_owner.exit_code == 2 and "not an address" in bad_owner.output

    shown = nnc(library, "model", "show", str(child))
    assert shown.exit_code == 0, shown.output
    assert f"lineage       {child} <- 1" in shown.stdout and f"owner         {requester}  100%" in shown.stdout
    root = nnc(library, "model", "show", "1").stdout
    assert f"verified by task {library.task_id}" in root and f"children      {child}" in root
    assert f"model digest  0x{task.result_digest.hex()}" in root and "(a root)" in root

    task_id = library.task_id
    got = nnc(library, "model", "get", "1", str(tmp_path))
    assert got.exit_code == 0, got.output
    saved = tmp_path / "model-1.pt"
    state = torch.load(saved, map_location="cpu", weights_only=True)
    digest = model_digest(state, load_spec(TINY_SPEC).determinism.digest_decimals)
    if task.proofs_enabled:  # the task's result digest is the agreement tag the nodes proved
        digest = agreement_tag(library.net.market().statement_key(task_id), digest).to_bytes(32, "big")
    assert digest == task.result_digest

    unknown = nnc(library, "model", "show", "99")
    assert unknown.exit_code != 0 and "UnknownModel" in str(unknown.exception)


def test_get_refuses_a_file_that_does_not_match_the_registered_digest(library: Library, tmp_path: Path) -> None:
    models = Models(library.net.devnet.client(REQUESTER))
    claimed = hashlib.sha256(b"not these weights").digest()
    model_id = models.share(claimed, ModelMetadata(model_uri=library.model_uri, licence="MIT",
                                                   spec_uri=library.spec_uri))
    dest = tmp_path / "model.pt"
    refused = nnc(library, "model", "get", str(model_id), str(dest))
    assert refused.exit_code != 0
    assert f"expected digest 0x{claimed.hex()}" in str(refused.exception) and "refusing" in str(refused.exception)
    assert not dest.exists()


def test_the_api_pages_and_details_models(library: Library) -> None:
    context = ApiContext.from_settings(settings_for(library.net.devnet, library.data_dir / "api", 0),
                                       store=LocalStore(library.data_dir / "store"))
    api = create_app(context).test_client()
    models = Models(library.net.devnet.client(REQUESTER))
    task_id = library.task_id
    registered = models.model_of_task(task_id)
    if registered is None:  # this test alone: register here
        registered = models.register_from_task(task_id, ModelMetadata(model_uri=library.model_uri, licence="MIT",
                                                                      framework="torch"))
    child = models.share(hashlib.sha256(b"child via api").digest(),
                         ModelMetadata(model_uri="local://x", licence="Apache-2.0", framework="jax"),
                         parent_id=registered)

    page = ok(api, "/api/models?verified=true", "ModelList")
    assert [m["id"] for m in page["items"]] == [registered] and page["total"] == 1
    item = page["items"][0]
    assert item["task_id"] == task_id and item["verified"] and item["licence"] == "MIT"
    assert item["model_digest"] == "0x" + library.net.market().task(task_id).result_digest.hex()
    assert [m["id"] for m in api.get(f"/api/models?task={task_id}").get_json()["items"]] == [registered]
    assert child in [m["id"] for m in api.get("/api/models?framework=jax").get_json()["items"]]
    requester = library.net.devnet.client(REQUESTER).address
    owned = api.get(f"/api/models?owner={requester}&limit=1").get_json()
    assert owned["limit"] == 1 and len(owned["items"]) == 1 and owned["total"] >= 2

    detail = ok(api, f"/api/models/{child}", "ModelDetail")
    assert detail["lineage"] == [registered] and detail["children"] == []
    assert detail["owners"] == [{"account": requester, "share_bps": 10_000}]
    assert api.get(f"/api/models/{registered}").get_json()["children"][-1] == child  # the newest child
    error(api.get("/api/models/999"), 404, r"unknown model 999 \(registered models: 1\.\.\d+\)")
    error(api.get("/api/models?owner=0x12"), 400, "owner must be a 0x-prefixed 20-byte hex address")
    error(api.get("/api/models?verified=maybe"), 400, "verified must be true or false")
    error(api.get("/api/models?colour=red"), 400, "unknown query parameter 'colour'")
    error(api.get("/api/models/abc"), 400, "model id must be a decimal integer")
