"""The JSON API against a real devnet with settled tasks: every endpoint, its schema, its errors."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from nnc.api.openapi import openapi_document
from nnc.api.uploads import LIMITS
from nnc.chain.types import ETH
from nnc.devnet import REQUESTER
from nnc.node.profile import collect_profile, profile_digest, profile_json
from nnc.paths import REPO_ROOT
from nnc.runtimes import RUNTIMES, installed_runtimes
from nnc.task import compute_units, load_spec, parse_spec, spec_digest
from tests.api.conftest import Settled, data_path

pytestmark = pytest.mark.e2e

DOC = openapi_document()
REGISTRY: Registry = Registry().with_resource("urn:nnc-api", Resource.from_contents(
    DOC, default_specification=DRAFT202012))


def check_schema(body: Any, schema: str) -> None:
    validator = Draft202012Validator({"$ref": f"urn:nnc-api#/components/schemas/{schema}"}, registry=REGISTRY)
    errors = sorted(validator.iter_errors(body), key=str)
    assert not errors, f"{schema}: {errors[0].message} at {list(errors[0].absolute_path)}"


def ok(api: FlaskClient, url: str, schema: str) -> Any:
    response = api.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    check_schema(body, schema)
    return body


def error(response: Any, status: int, pattern: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    check_schema(body, "Error")
    assert re.search(pattern, body["error"]["message"]), body["error"]["message"]


def test_openapi_document_is_valid_and_documents_exactly_the_routes(settled: Settled, api: FlaskClient) -> None:
    validate_openapi(DOC)
    assert api.get("/api/openapi.json").get_json() == json.loads(json.dumps(DOC))
    routes = {re.sub(r"<(\w+)>", r"{\1}", rule.rule): rule.methods for rule in settled.app.url_map.iter_rules()
              if rule.rule.startswith("/api/")}
    assert set(routes) == set(DOC["paths"])
    for path, methods in routes.items():
        assert set(DOC["paths"][path]) == {m.lower() for m in methods or ()} - {"head", "options"}, path


def test_task_list_filters_and_pages(settled: Settled, api: FlaskClient) -> None:
    all_tasks = ok(api, "/api/tasks", "TaskList")
    assert [t["id"] for t in all_tasks["items"]] == [settled.open_task, settled.nnt_task, settled.eth_task]
    settled_ids = {t["id"] for t in ok(api, "/api/tasks?status=settled", "TaskList")["items"]}
    assert settled_ids == {settled.eth_task, settled.nnt_task}
    assert [t["id"] for t in ok(api, "/api/tasks?status=PUBLISHED", "TaskList")["items"]] == [settled.open_task]
    nnt = settled.context.deployment.address_of("NNToken")
    assert [t["id"] for t in ok(api, f"/api/tasks?token={nnt.lower()}", "TaskList")["items"]] == [settled.nnt_task]
    assert {t["id"] for t in ok(api, f"/api/tasks?token={ETH}", "TaskList")["items"]} == {
        settled.eth_task, settled.open_task}
    requester = settled.net.devnet.address(REQUESTER)
    assert ok(api, f"/api/tasks?requester={requester}", "TaskList")["total"] == 3
    assert ok(api, f"/api/tasks?requester={settled.net.devnet.address(0)}", "TaskList")["total"] == 0
    node = settled.net.workers[1].node
    assert {t["id"] for t in ok(api, f"/api/tasks?node={node}", "TaskList")["items"]} == {
        settled.eth_task, settled.nnt_task}
    page = ok(api, "/api/tasks?limit=1&offset=1", "TaskList")
    assert [t["id"] for t in page["items"]] == [settled.nnt_task] and page["total"] == 3


def test_settled_task_detail_accounts_for_the_whole_budget(settled: Settled, api: FlaskClient) -> None:
    for task_id, symbol in ((settled.eth_task, "ETH"), (settled.nnt_task, "NNT")):
        task = ok(api, f"/api/tasks/{task_id}", "TaskDetail")
        assert task["status"] == task["chain"]["status"] == "settled" and task["token_symbol"] == symbol
        paid = sum(int(n["paid"]) for n in task["nodes"] if n["paid"])
        assert paid == int(task["paid"])  # what nodes are credited, net of the fee
        assert paid + int(task["fee"]) + int(task["refund"]) == int(task["budget"])
        assert task["quality"] == task["chain"]["quality_score"] and task["strategy_name"] == "first-come"
    open_task = ok(api, f"/api/tasks/{settled.open_task}", "TaskDetail")
    assert open_task["status"] == "published" and open_task["paid"] is None and open_task["nodes"] == []


def _chain_events_of_task(settled: Settled, task_id: int) -> list[tuple[int, int, str, str, str]]:
    """The chain's own logs of every protocol contract, decoded with the ABIs, that name the task."""
    ctx = settled.context
    w3 = ctx.w3
    d = ctx.deployment
    contracts = {d.address_of(name).lower(): ctx.client.contract(name) for name in d.addresses}
    logs = w3.eth.get_logs({"fromBlock": d.start_block, "toBlock": "latest",
                            "address": [d.address_of(n) for n in d.addresses]})
    found = []
    for entry in logs:
        contract = contracts[str(entry["address"]).lower()]
        for abi_event in (e for e in contract.abi if e["type"] == "event"):
            try:
                decoded = getattr(contract.events, abi_event["name"])().process_log(entry)
            except Exception:  # noqa: BLE001 - not this event's signature
                continue
            if decoded["args"].get("taskId") == task_id:
                name = next(n for n, c in contracts.items() if c is contract)
                found.append((int(entry["blockNumber"]), int(entry["logIndex"]),
                              "0x" + bytes(entry["transactionHash"]).hex(), decoded["event"], name))
            break
    return sorted(found)


def test_audit_trace_lists_every_on_chain_event_of_the_task_in_order(settled: Settled, api: FlaskClient) -> None:
    for task_id in (settled.eth_task, settled.nnt_task):
        trace = ok(api, f"/api/tasks/{task_id}/trace", "Trace")["events"]
        expected = _chain_events_of_task(settled, task_id)
        addresses = {name: settled.context.deployment.address_of(name).lower()
                     for name in settled.context.deployment.addresses}
        got = [(e["block"], e["log_index"], e["tx"], e["name"], addresses[e["contract"]]) for e in trace]
        assert got == expected
        names = [e["name"] for e in trace]
        assert names[0] == "TaskPublished" and names[-1] in ("TaskSettled", "Granted", "ReputationUpdated",
                                                             "CollateralReleased", "BondChanged")
        for needed in ("TaskAssigned", "CollateralLocked", "SnapshotPosted", "ResultSubmitted", "QualityReported",
                       "NodePaid", "TaskSettled", "CollateralReleased", "ReputationUpdated"):
            assert needed in names, needed
        assert {e["contract"] for e in trace} >= {"TaskMarket", "NodeRegistry", "Reputation"}
        w3 = settled.context.w3
        for event in trace:
            assert event["actor"] == w3.eth.get_transaction(event["tx"])["from"]
        assert trace[0]["actor"] == settled.net.devnet.address(REQUESTER)


def test_node_profile_stake_reputation_earnings_history(settled: Settled, api: FlaskClient) -> None:
    nodes = ok(api, "/api/nodes", "NodeList")
    assert {n["address"] for n in nodes["items"]} == {w.node for w in settled.net.workers}
    for worker in settled.net.workers:
        node = ok(api, f"/api/nodes/{worker.node.lower()}", "NodeDetail")
        assert node["registered"] and int(node["stake"]["staked"]) == 200 * 10**18
        assert node["reputation"] > 5000  # above neutral after agreeing on settled tasks
        payments = [e for e in node["earnings"] if e["kind"] == "payment" and int(e["token"], 16) == 0]
        assert sum(int(e["amount"]) for e in payments) == int(node["claimable"]["eth"]) > 0
        assigned = {a["task_id"] for a in node["assignments"] if a["assigned"]}
        assert settled.eth_task in assigned
        assert node["history"][-1]["name"] == "NodeRegistered"
        assert all(e["node"] == worker.node.lower() for e in node["history"])
    stranger = ok(api, "/api/nodes/0x000000000000000000000000000000000000dEaD", "NodeDetail")
    assert not stranger["registered"] and stranger["history"] == [] and stranger["stake"]["staked"] == "0"


def test_disputes_and_proposals_show_an_empty_state_without_those_contracts(settled: Settled,
                                                                           api: FlaskClient) -> None:
    has_arbitration = "Arbitration" in settled.context.deployment.addresses
    disputes = ok(api, "/api/disputes", "DisputeList")
    assert disputes["available"] is has_arbitration
    if not has_arbitration:
        assert disputes["items"] == [] and disputes["contracts"] == []
        error(api.get("/api/disputes/1"), 404, "unknown dispute 1")
    proposals = ok(api, "/api/proposals", "ProposalList")
    if not proposals["available"]:
        assert proposals["items"] == []
        error(api.get("/api/proposals/1"), 404, "unknown proposal 1")


def test_governed_parameters_list_setters_inputs_and_current_values(settled: Settled, api: FlaskClient) -> None:
    body = ok(api, "/api/proposals/parameters", "GovernedParameterList")
    assert body["available"] and body["timelock"] == settled.context.deployment.address_of("NNCTimelock")
    by_name = {p["name"]: p for p in body["items"]}
    window = by_name["MarketConfig.setChallengeWindow"]
    assert window["current"] == "60" and window["inputs"][0]["type"] == "uint64" and not window["keyed"]
    assert window["address"] == settled.context.deployment.address_of("MarketConfig")
    assert by_name["MarketConfig.setSettlementWeights"]["current"] == ["8000", "1000", "1000"]
    arbitration = by_name["Arbitration.setParams"]
    assert arbitration["current"]["votingPeriod"] == "20" and arbitration["inputs"][0]["components"]
    assert by_name["MarketConfig.setTokenValue"]["keyed"] and by_name["MarketConfig.setTokenValue"]["current"] is None
    assert "NodeRegistry.setPrice" not in by_name  # a node's own setting, not the DAO's


def test_params_and_deployment(settled: Settled, api: FlaskClient) -> None:
    params = ok(api, "/api/params", "Params")
    assert params["staking"]["unbonding_delay"] == 60 and params["settlement"]["challenge_window"] == 60
    assert {t["symbol"] for t in params["tokens"] if t["allowed"]} == {"ETH", "NNT"}
    deployment = ok(api, "/api/deployment", "Deployment")
    assert deployment["chain_id"] == settled.net.devnet.client(0).w3.eth.chain_id
    assert "InsufficientFreeStake(address,uint256,uint256)" in {
        f"{e['name']}({','.join(i['type'] for i in e['inputs'])})" for e in deployment["errors"]}
    # enum arguments (statuses, reasons) carry their enum's name, and the members come along
    not_eligible = next(e for e in deployment["errors"] if e["name"] == "NotEligible")
    assert not_eligible["inputs"][2]["internalType"] == "enum ITaskMarket.Ineligibility"
    assert deployment["enums"]["Ineligibility"][1] == "Stake"
    assert deployment["enums"]["TaskStatus"][4] == "Submitted"
    assert deployment["spokes"] == [] and "HomeGateway" not in deployment["addresses"]  # no cross-chain route
    assert settled.context.client.account is None  # the API holds no key: it cannot sign
    health = ok(api, "/api/health", "Health")
    assert health["indexed_block"] == health["block"]


def _upload(api: FlaskClient, kind: str, data: bytes) -> Any:
    return api.post(f"/api/uploads?kind={kind}", data={"file": (io.BytesIO(data), "upload.bin")},
                    content_type="multipart/form-data")


def test_uploads_store_specs_datasets_and_profiles(settled: Settled, api: FlaskClient) -> None:
    spec_file = data_path("tiny-spec.json")
    response = _upload(api, "spec", spec_file.read_bytes())
    assert response.status_code == 201
    body = response.get_json()
    check_schema(body, "Upload")
    spec = load_spec(spec_file)
    assert body["spec_digest"] == "0x" + spec_digest(spec).hex() and body["compute_units"] == compute_units(spec)
    assert settled.context.store.get_bytes(body["uri"]) == settled.context.store.get_bytes(
        settled.net.oracle.index.task(settled.eth_task)["spec_uri"])  # type: ignore[index]
    same = api.post("/api/specs", json=json.loads(spec_file.read_text()))
    assert same.status_code == 201 and same.get_json()["uri"] == body["uri"]

    dataset = bytes(range(256)) * 100
    stored = _upload(api, "dataset", dataset)
    assert stored.status_code == 201 and settled.context.store.get_bytes(stored.get_json()["uri"]) == dataset

    profile = collect_profile(benchmark_seconds=0.02)
    registered = _upload(api, "profile", profile_json(profile))
    assert registered.status_code == 201
    assert registered.get_json()["profile_digest"] == "0x" + profile_digest(profile).hex()


def test_dry_run_estimate(api: FlaskClient) -> None:
    spec = json.loads(data_path("tiny-spec.json").read_text())
    verdict = api.post("/api/specs/validate", json=spec)
    assert verdict.status_code == 200 and verdict.get_json()["valid"] is True
    check_schema(verdict.get_json(), "Validation")
    wrong = api.post("/api/specs/validate", json={**spec, "training": {**spec["training"], "steps": 0}})
    assert wrong.status_code == 200 and not wrong.get_json()["valid"]
    assert any("training.steps" in p for p in wrong.get_json()["problems"])
    response = api.post("/api/specs/estimate", json=spec)
    assert response.status_code == 200
    body = response.get_json()
    check_schema(body, "Estimate")
    assert body["compute_units"] == compute_units(load_spec(data_path("tiny-spec.json")))
    assert body["steps_measured"] == 10 and body["seconds_per_step"] > 0
    assert body["estimated_seconds"] == pytest.approx(body["seconds_per_step"] * 60)
    assert body["parameters"] == 64 * 16 + 16 + 16 * 10 + 10
    big = {**spec, "model": {"kind": "mlp", "hidden": [4096] * 8, "channels": []},
           "training": {**spec["training"], "batch_size": 4096}}
    untimed = api.post("/api/specs/estimate", json=big).get_json()
    check_schema(untimed, "Estimate")
    assert untimed["steps_measured"] == 0 and untimed["estimated_seconds"] is None
    assert untimed["parameters"] == 64 * 4096 + 4096 + 7 * (4096 * 4096 + 4096) + 4096 * 10 + 10


def test_estimate_of_a_spec_too_large_to_time_may_have_no_parameter_count(api: FlaskClient) -> None:
    unet = json.loads((REPO_ROOT / "examples" / "image-generation-lora-diffusers.json").read_text())
    unet["training"]["batch_size"] = 4096  # over the API's dry-run budget: not built, so not counted
    body = api.post("/api/specs/estimate", json=unet).get_json()
    check_schema(body, "Estimate")
    assert body["steps_measured"] == 0 and body["parameters"] is None and body["memory_bytes"] is None
    assert body["compute_units"] == compute_units(parse_spec(unet))


def test_templates_list_every_example_spec_with_its_compute_units(api: FlaskClient) -> None:
    body = ok(api, "/api/templates", "TemplateList")
    files = sorted((REPO_ROOT / "examples").glob("*.json"))
    assert [t["id"] for t in body["items"]] == [f.name for f in files] and len(files) >= 8
    installed = installed_runtimes()
    for template, path in zip(body["items"], files, strict=True):
        spec = load_spec(path)
        assert template["compute_units"] == compute_units(spec), path.name
        assert (template["name"], template["framework"], template["model_kind"], template["dataset"]) == (
            spec.name, spec.framework, spec.model.kind, spec.dataset.name)
        assert template["runtime_installed"] == (spec.framework in installed)
        assert template["spec"] == json.loads(path.read_text())  # the file as written
        assert api.post("/api/specs/validate", json=template["spec"]).get_json()["valid"] is True
    assert {t["framework"] for t in body["items"]} == set(RUNTIMES)


def test_runtimes_are_the_installed_frameworks_with_versions(api: FlaskClient) -> None:
    body = ok(api, "/api/runtimes", "RuntimeList")
    assert [r["framework"] for r in body["items"]] == installed_runtimes()
    assert body["known"] == list(RUNTIMES)
    for runtime in body["items"]:
        assert runtime["versions"] == RUNTIMES[runtime["framework"]].versions()
        assert set(runtime["versions"]) == {dist for _, dist in RUNTIMES[runtime["framework"]].packages}


BAD_GETS = [
    ("/api/tasks/0", 400, "task id must be 1"), ("/api/tasks/-1", 400, "decimal integer"),
    ("/api/tasks/1.5", 400, "decimal integer"), ("/api/tasks/99999999999999999999999", 400, "task id"),
    ("/api/tasks/424242", 404, "unknown task 424242"), ("/api/tasks/424242/trace", 404, "unknown task"),
    ("/api/tasks?status=done", 400, "status must be one of"), ("/api/tasks?limit=0", 400, "limit must be 1..200"),
    ("/api/tasks?limit=1000", 400, "limit"), ("/api/tasks?offset=x", 400, "offset"),
    ("/api/tasks?requester=0x12", 400, "requester must be"), ("/api/tasks?colour=red", 400, "unknown query"),
    ("/api/tasks?node=" + "a" * 500, 400, "over 100 characters"),
    ("/api/nodes/0xnothex", 400, "node address must be"), ("/api/nodes?limit=-3", 400, "limit"),
    ("/api/disputes/x", 400, "dispute id"), ("/api/proposals/%F0%9F%98%80", 400, "proposal id"),
    ("/api/nothing-here", 404, "no API route|not found"),
]


@pytest.mark.parametrize(("url", "status", "pattern"), BAD_GETS)
def test_bad_requests_get_a_json_error_with_the_right_status(api: FlaskClient, url: str, status: int,
                                                             pattern: str) -> None:
    error(api.get(url), status, pattern)


def test_bad_bodies_and_oversize_uploads_get_json_errors(api: FlaskClient) -> None:
    error(_upload(api, "dataset", b"x" * (LIMITS["dataset"] + 1)), 413, "over the limit")
    error(_upload(api, "spec", b"{" * (LIMITS["spec"] + 1)), 413, "spec upload of .* over the limit")
    huge = api.post("/api/uploads?kind=dataset", data=b"x" * (LIMITS["dataset"] + 200_000),
                    content_type="application/octet-stream")
    error(huge, 413, "over the limit")
    error(_upload(api, "spec", b'{"version": 1}'), 422, "name.*Field required|missing")
    error(_upload(api, "spec", b"\xff\xfe"), 422, "not UTF-8")
    error(_upload(api, "profile", b'{"cpu_model": 3}'), 422, "not a hardware profile")
    error(_upload(api, "dataset", b""), 400, "empty")
    error(_upload(api, "model", b"x"), 400, "kind must be one of")
    error(api.post("/api/uploads?kind=dataset", data={"other": "x"}), 400, "'file' field")
    error(api.post("/api/specs", data="not json", content_type="text/plain"), 400, "expected a JSON body")
    error(api.post("/api/specs", data="[1, 2]", content_type="application/json"), 400, "must be an object")
    error(api.post("/api/specs", json={"version": "1"}), 422, "version")
    error(api.post("/api/specs/validate", json={"name": "x" * LIMITS["spec"]}), 413,
          "JSON body upload of .* over the limit")
    bad_types = json.loads(data_path("tiny-spec.json").read_text())
    bad_types["training"]["steps"] = "60"
    error(api.post("/api/specs/estimate", json=bad_types), 422, r"training\.steps")
    error(api.post("/api/tasks"), 405, "not allowed")
    error(api.delete("/api/tasks/1"), 405, "not allowed")
