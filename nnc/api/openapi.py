"""The OpenAPI 3.1 document of the JSON API (served at /api/openapi.json, validated by the tests)."""

from __future__ import annotations

from typing import Any

from nnc.api.uploads import KINDS, LIMITS
from nnc.runtimes import RUNTIMES

S = dict[str, Any]


def _ref(name: str) -> S:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(required: dict[str, S], optional: dict[str, S] | None = None, extra: bool = True) -> S:
    return {"type": "object", "required": list(required), "properties": {**required, **(optional or {})},
            "additionalProperties": extra}


INT: S = {"type": "integer"}
STR: S = {"type": "string"}
BOOL: S = {"type": "boolean"}
AMOUNT: S = {"type": "string", "pattern": "^[0-9]+$", "description": "an integer amount in the token's smallest "
             "unit, as a decimal string"}
ADDRESS: S = {"type": "string", "pattern": "^0x[0-9a-fA-F]{40}$"}
HEX32: S = {"type": "string", "pattern": "^0x[0-9a-f]{64}$"}
NULLABLE_AMOUNT: S = {"oneOf": [AMOUNT, {"type": "null"}]}
NULLABLE_STR: S = {"type": ["string", "null"]}
FRAMEWORK: S = {"type": "string", "enum": list(RUNTIMES)}
STATUS: S = {"type": "string", "enum": ["published", "assigned", "running", "submitted", "verifying", "settled",
                                       "cancelled", "expired", "disputed", "slashed", "failed"]}
BOND: S = {"type": "string", "enum": ["none", "locked", "released", "frozen", "held", "slashed"],
           "description": "the state of the node's collateral for the task"}

SCHEMAS: dict[str, S] = {
    "Error": _obj({"error": _obj({"status": INT, "code": STR, "message": STR}, extra=False)}, extra=False),
    "Event": _obj({"block": INT, "log_index": INT, "tx": HEX32, "timestamp": INT, "actor": ADDRESS,
                   "contract": STR, "name": STR, "task_id": {"type": ["integer", "null"]},
                   "node": {"type": ["string", "null"]}, "args": {"type": "object"}}),
    "Task": _obj({"id": INT, "status": STATUS, "requester": ADDRESS, "token": ADDRESS, "budget": AMOUNT,
                  "replication": INT, "strategy": ADDRESS, "strategy_name": NULLABLE_STR, "spec_uri": STR,
                  "spec_digest": HEX32, "apply_deadline": INT, "deadline": INT, "applicants": INT,
                  "submissions": INT, "result_digest": NULLABLE_STR, "paid": NULLABLE_AMOUNT,
                  "fee": NULLABLE_AMOUNT, "refund": NULLABLE_AMOUNT, "quality": {"type": ["integer", "null"]},
                  "accepted": {"type": ["boolean", "null"], "description": "whether the result met the spec's "
                               "acceptance threshold (null: not scored); a rejected result is paid its compute only"},
                  "tied": BOOL, "tie_ends_at": {"type": ["integer", "null"]},
                  "published_block": INT, "updated_block": INT}),
    "TaskList": _obj({"items": {"type": "array", "items": _ref("Task")}, "total": INT, "limit": INT,
                      "offset": INT, "indexed_block": INT}),
    "TaskDetail": {"allOf": [_ref("Task"), _obj({
        "token_symbol": STR,
        "chain": _obj({"status": STATUS, "collateral": AMOUNT, "compute_units": INT, "min_hardware_class": INT,
                       "min_reputation": INT, "quality_score": INT, "assigned_at": INT, "submitted_at": INT,
                       "result_digest": HEX32, "active": INT, "tied": BOOL, "challenge_ends_at": INT,
                       "proofs": BOOL, "rejected": BOOL}),
        "nodes": {"type": "array", "items": _obj({"node": STR, "assigned": BOOL, "result_digest": NULLABLE_STR,
                                                  "result_uri": NULLABLE_STR, "paid": NULLABLE_AMOUNT,
                                                  "bonus": NULLABLE_AMOUNT, "bond": BOND, "dropped": BOOL,
                                                  "frozen_until": {"type": ["integer", "null"]},
                                                  "forfeited": NULLABLE_AMOUNT})}})]},
    "Trace": _obj({"task_id": INT, "events": {"type": "array", "items": _ref("Event")}, "indexed_block": INT}),
    "NodeSummary": _obj({"address": ADDRESS, "registered_block": INT, "hardware_class": INT, "staked": AMOUNT,
                         "locked": AMOUNT, "reputation": INT}),
    "NodeList": _obj({"items": {"type": "array", "items": _ref("NodeSummary")}, "total": INT, "limit": INT,
                      "offset": INT}),
    "NodeDetail": _obj({
        "address": ADDRESS, "registered": BOOL,
        "profile": _obj({"digest": HEX32, "hardware_class": INT, "registered_at": INT, "benchmark_score": INT,
                         "benchmark_attested_at": INT, "encryption_key": HEX32}),
        "stake": _obj({"staked": AMOUNT, "locked": AMOUNT, "free": AMOUNT, "unbonding": AMOUNT,
                       "unbond_ready_at": INT, "min_stake": AMOUNT}),
        "reputation": {"type": "integer", "minimum": 0, "maximum": 10000},
        "balances": _obj({"nnt": AMOUNT, "eth": AMOUNT}),
        "claimable": _obj({"eth": AMOUNT, "nnt": AMOUNT, "slashed_nnt": AMOUNT}, {"bonus_nnt": AMOUNT}),
        "assignments": {"type": "array", "items": _obj({"task_id": INT, "assigned": BOOL, "status": STATUS,
                                                        "token": ADDRESS, "budget": AMOUNT, "replication": INT,
                                                        "bond": BOND, "dropped": BOOL,
                                                        "frozen_until": {"type": ["integer", "null"]},
                                                        "forfeited": NULLABLE_AMOUNT})},
        "earnings": {"type": "array", "items": _obj({"task_id": INT, "block": INT, "timestamp": INT,
                                                     "amount": AMOUNT, "token": ADDRESS,
                                                     "kind": {"enum": ["payment", "bonus"]}})},
        "history": {"type": "array", "items": _ref("Event")}}),
    "Dispute": _obj({"id": STR, "contract": STR, "task_id": {"type": ["integer", "null"]},
                     "node": NULLABLE_STR, "opened_block": INT, "status": STR,
                     "evidence": {"type": "array", "items": STR},
                     "votes": _obj({"slash": AMOUNT, "release": AMOUNT}),
                     "events": {"type": "array", "items": _ref("Event")}}),
    "DisputeList": _obj({"available": BOOL, "contracts": {"type": "array", "items": STR},
                         "items": {"type": "array", "items": _ref("Dispute")}}),
    "Proposal": _obj({"id": STR, "governor": STR, "proposer": NULLABLE_STR, "description": NULLABLE_STR,
                      "state": STR, "created_block": INT, "votes": {"type": "array"},
                      "events": {"type": "array", "items": _ref("Event")}}),
    "ProposalList": _obj({"available": BOOL, "contracts": {"type": "array", "items": STR},
                          "items": {"type": "array", "items": _ref("Proposal")}}),
    "Upload": _obj({"kind": {"enum": list(KINDS)}, "uri": STR, "sha256": {"type": "string",
                                                                         "pattern": "^[0-9a-f]{64}$"},
                    "size": INT}, {"spec_digest": HEX32, "compute_units": INT, "name": STR,
                                   "profile_digest": HEX32, "hardware_class": INT}),
    "Validation": _obj({"valid": BOOL, "problems": {"type": "array", "items": STR}},
                       {"spec_digest": HEX32, "compute_units": INT}),
    "Estimate": _obj({"compute_units": INT, "model_macs": INT,
                      "parameters": {"type": ["integer", "null"], "description": "null when counting needs the "
                                     "framework to build the model (a UNet not trained here)"},
                      "memory_bytes": {"type": ["integer", "null"]},
                      "steps_measured": INT, "seconds_per_step": {"type": ["number", "null"]},
                      "estimated_seconds": {"type": ["number", "null"]}, "loss_after": {"type": ["number", "null"]}}),
    "Params": _obj({"chain_id": INT, "settlement": {"type": "object"}, "staking": _obj({
        "min_stake": AMOUNT, "unbonding_delay": INT}), "tokens": {"type": "array"}, "strategies": {"type": "array"}}),
    "Deployment": _obj({"chain_id": INT, "chain_id_hex": STR, "rpc_url": STR, "start_block": INT,
                        "deployer": ADDRESS, "addresses": {"type": "object", "additionalProperties": ADDRESS},
                        "abis": {"type": "object"}, "errors": {"type": "array"},
                        "enums": {"type": "object"}}),
    "Health": _obj({"ok": BOOL, "chain_id": INT, "block": INT, "indexed_block": INT}),
    "TaskSpec": {"type": "object", "description": "a task spec, format version 1 (see nnc.task.spec)"},
    "Template": _obj({"id": {"type": "string", "description": "the file name in examples/"}, "name": STR,
                      "framework": FRAMEWORK, "model_kind": STR, "dataset": STR, "compute_units": INT,
                      "runtime_installed": {"type": "boolean", "description": "whether this server has the "
                                            "framework (else its dry run is not timed here)"},
                      "spec": {"$ref": "#/components/schemas/TaskSpec"}}),
    "TemplateList": _obj({"items": {"type": "array", "items": _ref("Template")}}),
    "RuntimeList": _obj({"items": {"type": "array", "items": _obj({
        "framework": FRAMEWORK, "versions": {"type": "object", "additionalProperties": STR}})},
        "known": {"type": "array", "items": FRAMEWORK}}),
}

ERRORS = {
    "400": "invalid input (wrong type, range or form)", "404": "unknown id or route",
    "413": "upload over its size limit", "422": "document does not validate",
    "502": "chain or storage failed", "503": "chain unreachable",
}


def _responses(ok: str, schema: S, codes: tuple[str, ...], status: str = "200") -> S:
    responses: S = {status: {"description": ok, "content": {"application/json": {"schema": schema}}}}
    for code in codes:
        responses[code] = {"description": ERRORS[code], "content": {"application/json": {"schema": _ref("Error")}}}
    return responses


def _path_param(name: str, schema: S, description: str) -> S:
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": description}


def _query(name: str, schema: S, description: str) -> S:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


PAGE = [_query("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "page size"),
        _query("offset", {"type": "integer", "minimum": 0, "maximum": 1_000_000, "default": 0}, "items to skip")]
TASK_ID = _path_param("task_id", {"type": "integer", "minimum": 1}, "task id")


def _get(summary: str, ok: str, schema: S, codes: tuple[str, ...] = (), params: list[S] | None = None,
         chain: bool = True) -> S:
    """A GET operation; one that reads the `chain` (or storage) may also answer 502 and 503."""
    op: S = {"summary": summary, "responses": _responses(ok, schema, (*codes, "502", "503") if chain else codes)}
    if params:
        op["parameters"] = params
    return {"get": op}


def openapi_document() -> dict[str, Any]:
    json_spec = {"required": True, "content": {"application/json": {"schema": _ref("TaskSpec")}}}
    upload_body = {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}}}}}}
    limits = ", ".join(f"{k} {v} bytes" for k, v in LIMITS.items())
    return {
        "openapi": "3.1.0",
        "info": {"title": "NNC API", "version": "1.0.0", "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
                 "description": "Reads from the oracle's event index and the contracts. The API never signs: "
                                "clients send transactions with their own wallet. Amounts are decimal strings."},
        "paths": {
            "/api/health": _get("Chain and index position", "ok", _ref("Health")),
            "/api/params": _get("Protocol parameters", "parameters", _ref("Params")),
            "/api/deployment": _get("Chain, addresses, ABIs and custom errors", "deployment", _ref("Deployment")),
            "/api/tasks": _get("Tasks, newest first", "a page of tasks", _ref("TaskList"), ("400",), [
                _query("status", STATUS, "only tasks in this status"),
                _query("requester", ADDRESS, "only tasks of this requester"),
                _query("token", ADDRESS, "only tasks paid in this token (0x0 = ETH)"),
                _query("node", ADDRESS, "only tasks this node applied for"), *PAGE]),
            "/api/tasks/{task_id}": _get("One task with its nodes and payouts", "the task", _ref("TaskDetail"),
                                         ("400", "404"), [TASK_ID]),
            "/api/tasks/{task_id}/trace": _get("Every on-chain event of a task, in chain order, with its actor",
                                               "the audit trace", _ref("Trace"), ("400", "404"), [TASK_ID]),
            "/api/nodes": _get("Registered nodes", "a page of nodes", _ref("NodeList"), ("400",), PAGE),
            "/api/nodes/{address}": _get("A node's profile, stake, reputation, earnings and history", "the node",
                                         _ref("NodeDetail"), ("400", "404"),
                                         [_path_param("address", ADDRESS, "node address")]),
            "/api/disputes": _get("Disputes (empty when the deployment has no arbitration)", "disputes",
                                  _ref("DisputeList")),
            "/api/disputes/{dispute_id}": _get("One dispute", "the dispute", _ref("Dispute"), ("400", "404"), [
                _path_param("dispute_id", {"type": "integer", "minimum": 0}, "dispute id")]),
            "/api/proposals": _get("Governance proposals (empty when the deployment has no governor)", "proposals",
                                   _ref("ProposalList")),
            "/api/proposals/{proposal_id}": _get("One proposal", "the proposal", _ref("Proposal"), ("400", "404"), [
                _path_param("proposal_id", {"type": "integer", "minimum": 0}, "proposal id")]),
            "/api/uploads": {"post": {
                "summary": f"Store a spec, dataset or hardware profile (limits: {limits})",
                "parameters": [{"name": "kind", "in": "query", "required": True, "schema": {"enum": list(KINDS)}}],
                "requestBody": upload_body,
                "responses": _responses("stored", _ref("Upload"), ("400", "413", "422", "502"), "201")}},
            "/api/specs": {"post": {"summary": "Validate a task spec and store its canonical JSON",
                                    "requestBody": json_spec,
                                    "responses": _responses("stored", _ref("Upload"), ("400", "413", "422", "502"),
                                                            "201")}},
            "/api/specs/validate": {"post": {"summary": "Validate a task spec (200 with valid=false and the "
                                                        "problems when it does not validate)",
                                             "requestBody": json_spec,
                                             "responses": _responses("the verdict", _ref("Validation"),
                                                                     ("400", "413"))}},
            "/api/specs/estimate": {"post": {"summary": "Dry run: a few real training steps, extrapolated",
                                             "requestBody": json_spec,
                                             "responses": _responses("estimate", _ref("Estimate"),
                                                                     ("400", "413", "422"))}},
            "/api/templates": _get("The example specs shipped with NNC (examples/), each with its figures and "
                                   "full spec JSON", "templates", _ref("TemplateList"), chain=False),
            "/api/runtimes": _get("The training frameworks this server has installed, with package versions",
                                  "runtimes", _ref("RuntimeList"), chain=False),
            "/api/openapi.json": {"get": {"summary": "This document", "responses": {"200": {
                "description": "the OpenAPI document", "content": {"application/json": {"schema": {
                    "type": "object"}}}}}}},
        },
        "components": {"schemas": SCHEMAS},
    }
