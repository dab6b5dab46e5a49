"""The model library in the web app, in real headless Chromium against the real devnet and API
(tests/browser/models_flows.mjs): a tiny task trained by a real worker and settled, its model
listed by its requester, and a model shared from elsewhere. The browser lists and filters them,
opens the card, downloads the file verified, rates the model as a staker (approve + rate, with a
review stored through the API) and changes the rating, and opens the publish flow pre-filled to
fine-tune it (published on chain) and to run inference with it. What the browser did is then
checked on the chain."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from nnc.api import ApiContext, ApiServer
from nnc.chain.market import Market
from nnc.chain.models import ModelMetadata, Models
from nnc.devnet import REQUESTER, Devnet
from nnc.errors import TaskSpecError
from nnc.task import parse_spec
from tests.browser.driver import run_flows
from tests.e2e.harness import Network, make_network, settings_for

pytestmark = pytest.mark.e2e

SCRIPT = Path(__file__).with_name("models_flows.mjs")


def answer(net: Network, op: dict[str, Any]) -> dict[str, Any]:
    """The script's requests: settle a task (the worker trains it, the oracle scores, lists and
    records the use of the model it started from)."""
    if op["op"] != "settle":
        return {"ok": False, "error": f"unknown op {op['op']!r}"}
    try:
        net.settle(int(op["task"]))
    except AssertionError as exc:
        return {"ok": False, "error": str(exc)}
    assert net.oracle.library is not None, "the oracle keeps no model library on this deployment"
    net.oracle.sync()
    net.oracle.library.catalogue()  # what the oracle's loop does after each round
    return {"ok": True}


def test_models_page_card_rating_and_publishing_from_a_model(chain: Devnet, tmp_path: Path) -> None:
    worker, rater, fine_tuner = chain.node_indices()
    net = make_network(chain, tmp_path, [worker])
    task_id = net.publish(replication=1)
    net.settle(task_id)
    market = net.market()
    revealed = market.revealed_results(task_id)
    spec_uri = str(market.published_event(task_id)["specURI"])
    models = Models(chain.client(REQUESTER))
    model_id = models.model_of_task(task_id) or models.register_from_task(task_id, ModelMetadata(
        model_uri=str(revealed[0][1]), licence="MIT", framework="torch", metric="accuracy",
        spec_uri=spec_uri))
    shared = Models(chain.client(fine_tuner)).share(hashlib.sha256(b"trained elsewhere").digest(), ModelMetadata(
        model_uri="local://elsewhere", licence="Apache-2.0", framework="jax"))

    context = ApiContext.from_settings(settings_for(chain, tmp_path / "api", 0), store=net.store)
    with ApiServer(context) as server:
        env = {"NNC_API_URL": server.url, "NNC_RPC_URL": chain.rpc_url,
               "NNC_ACCOUNTS": json.dumps({"requester": chain.address(REQUESTER), "rater": chain.address(rater),
                                           "fineTuner": chain.address(fine_tuner)}),
               "NNC_LIBRARY": json.dumps({"model": model_id, "shared": shared, "task": task_id,
                                          "requester": chain.address(REQUESTER)})}
        result = run_flows(SCRIPT, env, lambda op: answer(net, op)).check()

    # The verified download's bytes are the listed model's file.
    model_file = net.store.get_bytes(models.model(model_id).metadata.model_uri)
    assert result["download_sha256"] == hashlib.sha256(model_file).hexdigest()

    # The staker's rating, on chain, with its review stored through the API.
    ratings = chain.client(0).contract("ModelRatings")
    rating = ratings.functions.ratingOf(model_id, chain.address(rater)).call()
    assert rating[0] == 5 and rating[1] == 0 and rating[4] == 15 * 10**18  # changed from 4 to 5, stake kept
    review = json.loads(net.store.get_bytes(rating[5]))
    assert review == {"version": 1, "model": model_id, "stars": 4, "review": "Small and accurate enough for digits."}

    # The fine-tune's requester, a verified user once it settled, rated without a stake.
    verified = ratings.functions.ratingOf(model_id, chain.address(fine_tuner)).call()
    assert verified[0] == 3 and verified[1] == 10_000 and verified[4] == 0
    assert Models(chain.client(0)).children_of(model_id) != []  # the oracle listed the fine-tune as a child

    # The fine-tune published by another requester starts from the model.
    fine_tune = Market(chain.client(fine_tuner))
    published = fine_tune.task(result["finetune_task"])
    assert published.requester == chain.address(fine_tuner) and published.budget == 2 * 10**17
    stored = json.loads(net.store.get_bytes(fine_tune.published_event(published.task_id)["specURI"]))
    assert stored["base_model"] == {"id": model_id}
    trained = json.loads(net.store.get_bytes(spec_uri))
    assert stored["model"] == trained["model"] and stored["dataset"] == trained["dataset"]

    # The inference spec runs the model over its dataset's every input: published when the spec
    # validates (the API validates it as parse_spec does), refused before any transaction with the
    # validator's reason when it does not (a tree whose inference tasks cannot name a base_model).
    inference: dict[str, Any] = result["inference_spec"]
    assert inference["base_model"] == {"id": model_id} and "training" not in inference
    assert inference["inference"]["inputs"] == 1797  # sklearn's digits
    try:
        parse_spec(json.dumps(inference).encode())
    except TaskSpecError as exc:
        assert "task" not in result["inference"], "an invalid spec was published"
        assert str(exc).splitlines()[-1].split(": ", 1)[-1][:40] in result["inference"]["problems"]
    else:
        task = Market(chain.client(fine_tuner)).task(result["inference"]["task"])
        spec = parse_spec(net.store.get_bytes(Market(chain.client(0)).published_event(task.task_id)["specURI"]))
        assert spec.base_model is not None and spec.base_model.id == model_id
        assert getattr(spec, "inference", None) is not None
