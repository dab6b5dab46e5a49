"""What the web app reads of the model library through the API, on a real devnet: filters and sort
of /api/models, a model's checked spec (/spec), its file checked against the registered digest
(/file), and the review documents of its ratings (/reviews), stored through /api/uploads."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient

from nnc.api import ApiContext, create_app
from nnc.chain.deploy import NNT
from nnc.chain.models import ModelMetadata, Models, Visibility
from nnc.chain.ratings import Ratings
from nnc.devnet import REQUESTER, Devnet
from nnc.task import load_spec, spec_digest
from tests.api.test_api import error, ok
from tests.e2e.harness import TINY_SPEC, Network, make_network, settings_for

pytestmark = pytest.mark.e2e


@dataclass
class Library:
    net: Network
    api: FlaskClient
    task_id: int
    model: int  # listed from the settled task (MIT, torch, accuracy)
    shared: int  # shared from elsewhere, pointing at the same file with another digest (Apache-2.0, jax)
    spec_uri: str
    model_uri: str


@pytest.fixture(scope="module")
def library(devnet: Devnet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Library]:
    w3 = devnet.client(0).w3
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    data_dir = tmp_path_factory.mktemp("model-web-api")
    try:
        net = make_network(devnet, data_dir, devnet.node_indices()[:1])
        task_id = net.publish(replication=1)
        net.settle(task_id)
        market = net.market()
        model_uri = str(market.revealed_results(task_id)[0][1])
        spec_uri = str(market.published_event(task_id)["specURI"])
        models = Models(devnet.client(REQUESTER))
        model = models.model_of_task(task_id) or models.register_from_task(task_id, ModelMetadata(
            model_uri=model_uri, licence="MIT", framework="torch", metric="accuracy", spec_uri=spec_uri))
        shared = Models(devnet.client(devnet.node_indices()[2])).share(
            hashlib.sha256(b"other weights").digest(),
            ModelMetadata(model_uri=model_uri, licence="Apache-2.0", framework="jax", spec_uri=spec_uri, domain="text"))
        context = ApiContext.from_settings(settings_for(devnet, data_dir / "api", 0), store=net.store)
        yield Library(net, create_app(context).test_client(), task_id, model, shared, spec_uri, model_uri)
    finally:
        w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]


def ids(api: FlaskClient, query: str) -> list[int]:
    return [m["id"] for m in ok(api, f"/api/models?{query}", "ModelList")["items"]]


def test_models_filter_by_metric_licence_and_domain_and_sort_by_metric(library: Library) -> None:
    api = library.api
    assert ids(api, "") == [library.shared, library.model]
    assert ids(api, "metric=ACCURACY") == [library.model]
    assert ids(api, "licence=apache-2.0") == [library.shared]
    assert ids(api, "licence=MIT&framework=jax") == []
    assert ids(api, "domain=text") == [library.shared]
    assert ids(api, "sort=metric") == [library.model, library.shared]  # the unscored model last
    error(api.get("/api/models?sort=cheapest"), 400, "sort must be one of newest, metric, rating")
    error(api.get("/api/models?metric=%20"), 400, "metric must not be empty")
    error(api.get("/api/models?domain=weather"), 400, "domain must be one of vision, text, audio, video, custom")


def test_a_models_spec_is_its_tasks_published_spec_with_its_datasets_size(library: Library) -> None:
    body = ok(library.api, f"/api/models/{library.model}/spec", "ModelSpec")
    published = library.net.market().task(library.task_id).spec_digest
    assert body["spec_digest"] == "0x" + published.hex() == "0x" + spec_digest(load_spec(TINY_SPEC)).hex()
    assert body["spec"]["name"] == load_spec(TINY_SPEC).name and body["dataset_inputs"] == 1797  # sklearn's digits
    error(library.api.get("/api/models/99/spec"), 404, r"unknown model 99")
    shared_without_spec = Models(library.net.devnet.client(REQUESTER)).share(
        hashlib.sha256(b"no spec").digest(), ModelMetadata(model_uri="local://x", licence="MIT"))
    error(library.api.get(f"/api/models/{shared_without_spec}/spec"), 422, "has no task and no spec URI")


def test_the_file_is_sent_only_when_its_weights_match_the_registered_digest(library: Library) -> None:
    response = library.api.get(f"/api/models/{library.model}/file")
    assert response.status_code == 200 and response.mimetype == "application/octet-stream"
    data = response.get_data()
    assert data == library.net.store.get_bytes(library.model_uri)
    assert response.headers["X-NNC-SHA256"] == hashlib.sha256(data).hexdigest()
    digest = Models(library.net.devnet.client(0)).model(library.model).model_digest
    assert response.headers["X-NNC-Model-Digest"] == "0x" + digest.hex()
    assert 'filename="model-' in response.headers["Content-Disposition"]
    # The shared listing names the same file under another digest: refused, both digests named.
    refused = library.api.get(f"/api/models/{library.shared}/file")
    error(refused, 422, rf"does not match its registered digest.*0x{hashlib.sha256(b'other weights').hexdigest()}")
    sealed = Models(library.net.devnet.client(REQUESTER)).share(
        hashlib.sha256(b"sealed").digest(), ModelMetadata(model_uri=library.model_uri, licence="MIT",
                                                          spec_uri=library.spec_uri), visibility=Visibility.SEALED)
    error(library.api.get(f"/api/models/{sealed}/file"), 422, "is sealed")


def upload_review(api: FlaskClient, document: object) -> tuple[int, dict[str, object]]:
    data = json.dumps(document).encode()
    response = api.post("/api/uploads?kind=review", data={"file": (io.BytesIO(data), "review.json")})
    return response.status_code, response.get_json()


def test_reviews_are_stored_checked_and_read_back_for_the_ratings_on_chain(library: Library) -> None:
    api, devnet = library.api, library.net.devnet
    code, stored = upload_review(api, {"version": 1, "model": library.model, "stars": 5, "review": "Sharp."})
    assert code == 201 and stored["kind"] == "review"
    code, refused = upload_review(api, {"version": 1, "model": library.model, "stars": 9, "review": "!"})
    assert code == 422 and "stars 1..5" in refused["error"]["message"]  # type: ignore[index]
    code, refused = upload_review(api, {"model": library.model, "review": "no stars"})
    assert code == 422 and "holds exactly version, model, stars, review" in refused["error"]["message"]  # type: ignore[index]
    other_model = upload_review(api, {"version": 1, "model": library.shared, "stars": 2, "review": "elsewhere"})[1]

    first, second, third = devnet.node_indices()
    Ratings(devnet.client(first)).rate(library.model, 5, str(stored["uri"]), 10 * NNT)
    Ratings(devnet.client(second)).rate(library.model, 3, library.spec_uri, 10 * NNT)  # not a review
    Ratings(devnet.client(third)).rate(library.model, 2, str(other_model["uri"]), 10 * NNT)
    Ratings(devnet.client(0)).rate(library.model, 4, "", 10 * NNT)  # no review: left out
    plain = library.net.store.put_bytes(b"Plain text, as `nnc model rate --review FILE` uploads it.")
    voter = devnet.node_indices()[-1] + 1  # the devnet's DAO voter, funded with NNT
    Ratings(devnet.client(voter)).rate(library.model, 3, plain, 10 * NNT)
    body = ok(api, f"/api/models/{library.model}/reviews", "ReviewList")
    by_rater = {r["rater"]: r for r in body["items"]}
    assert len(body["items"]) == 4
    assert by_rater[devnet.address(voter)]["review"].startswith("Plain text")
    assert by_rater[devnet.address(first)]["review"] == "Sharp." and by_rater[devnet.address(first)]["problem"] is None
    assert by_rater[devnet.address(second)]["review"] is None
    assert "a review document holds exactly" in by_rater[devnet.address(second)]["problem"]
    assert f"a review of model {library.shared}" in by_rater[devnet.address(third)]["problem"]
    assert ok(api, f"/api/models/{library.shared}/reviews", "ReviewList")["items"] == []
    error(api.get("/api/models/99/reviews"), 404, "unknown model 99")


def test_models_filter_by_minimum_rating_and_sort_by_rating(library: Library) -> None:
    api, devnet = library.api, library.net.devnet
    first, second, _ = devnet.node_indices()
    Ratings(devnet.client(first)).rate(library.model, 4, "", 10 * NNT)
    Ratings(devnet.client(second)).rate(library.shared, 2, "", 10 * NNT)
    page = ok(api, "/api/models", "ModelList")
    ratings = {m["id"]: m["ratings"] for m in page["items"]}
    assert ratings[library.shared]["shown"] == 2.0 and ratings[library.shared]["shown_source"] == "staked"
    assert ratings[library.shared]["staked_count"] == 1 and ratings[library.shared]["verified_count"] == 0
    assert ratings[library.model]["shown"] >= 3
    assert ids(api, "sort=rating")[:2] == [library.model, library.shared]  # unrated models after them
    assert ids(api, "min_rating=3") == [library.model]
    assert ids(api, "min_rating=2&framework=jax") == [library.shared]
    assert ids(api, "min_rating=5") == []
    for bad in ("0", "5.5", "many", "nan"):
        error(api.get(f"/api/models?min_rating={bad}"), 400, "min_rating must be a number of stars from 1 to 5")
