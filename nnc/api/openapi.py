"""The OpenAPI 3.1 document of the JSON API (served at /api/openapi.json, validated by the tests).

Its component schemas are generated from the response types (`nnc.api.responses`) the services
return; only the operations (paths, parameters, which type each answers with) are listed here.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import CoreSchema

from nnc.api import responses
from nnc.api.responses import (
    Address,
    Deployment,
    Dispute,
    DisputeList,
    Error,
    Estimate,
    GovernedParameterList,
    Health,
    ModelDetail,
    ModelList,
    ModelSpec,
    NodeDetail,
    NodeList,
    Params,
    Proposal,
    ProposalList,
    RatingList,
    ReviewList,
    RoundTimeline,
    RuntimeList,
    TaskDetail,
    TaskList,
    TaskSpecDocument,
    TaskStatusName,
    TemplateList,
    Trace,
    Upload,
    UploadTarget,
    Validation,
)
from nnc.api.uploads import KINDS, LIMITS
from nnc.api.validation import MODEL_SORTS
from nnc.chain.model_domains import DOMAINS

S = dict[str, Any]
REF_TEMPLATE = "#/components/schemas/{model}"


class _ComponentSchemas(GenerateJsonSchema):
    """Pydantic's JSON Schema, without a title on every property (the property's name says it)."""

    def field_title_should_be_set(self, schema: CoreSchema) -> bool:
        return False


def component_schemas(types: tuple[type, ...]) -> dict[str, S]:
    """JSON Schemas (2020-12, as OpenAPI 3.1 takes them) of `types` and of every type they nest,
    by class name, referring to each other under #/components/schemas/."""
    _, definitions = TypeAdapter.json_schemas([(t.__name__, "validation", TypeAdapter(t)) for t in types],
                                              ref_template=REF_TEMPLATE, schema_generator=_ComponentSchemas)
    schemas: dict[str, S] = definitions.get("$defs", {})
    return schemas


def _schema_of(annotation: Any) -> S:
    """The inline JSON Schema of an annotated scalar type (an address, a status name)."""
    return TypeAdapter(annotation).json_schema(ref_template=REF_TEMPLATE, schema_generator=_ComponentSchemas)


def _ref(response: type | str) -> S:
    name = response if isinstance(response, str) else response.__name__
    return {"$ref": REF_TEMPLATE.format(model=name)}


ADDRESS = _schema_of(Address)
STATUS = _schema_of(TaskStatusName)
SCHEMAS: dict[str, S] = {**component_schemas(responses.RESPONSES), "TaskSpec": _schema_of(TaskSpecDocument)}

ERRORS = {
    "400": "invalid input (wrong type, range or form)", "404": "unknown id or route",
    "413": "upload over its size limit", "422": "document does not validate",
    "502": "chain or storage failed", "503": "chain unreachable",
}


def _errors(codes: tuple[str, ...]) -> S:
    return {code: {"description": ERRORS[code], "content": {"application/json": {"schema": _ref(Error)}}}
            for code in codes}


def _responses(ok: str, schema: S, codes: tuple[str, ...], status: str = "200") -> S:
    return {status: {"description": ok, "content": {"application/json": {"schema": schema}}}, **_errors(codes)}


def _path_param(name: str, schema: S, description: str) -> S:
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": description}


def _query(name: str, schema: S, description: str) -> S:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


PAGE = [_query("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "page size"),
        _query("offset", {"type": "integer", "minimum": 0, "maximum": 1_000_000, "default": 0}, "items to skip")]
TASK_ID = _path_param("task_id", {"type": "integer", "minimum": 1}, "task id")
MODEL_ID = _path_param("model_id", {"type": "integer", "minimum": 1}, "model id")


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
            "/api/health": _get("Chain and index position", "ok", _ref(Health)),
            "/api/params": _get("Protocol parameters", "parameters", _ref(Params)),
            "/api/deployment": _get("Chain, addresses, ABIs and custom errors", "deployment", _ref(Deployment)),
            "/api/tasks": _get("Tasks, newest first", "a page of tasks", _ref(TaskList), ("400",), [
                _query("status", STATUS, "only tasks in this status"),
                _query("requester", ADDRESS, "only tasks of this requester"),
                _query("token", ADDRESS, "only tasks paid in this token (0x0 = ETH)"),
                _query("node", ADDRESS, "only tasks this node applied for"), *PAGE]),
            "/api/tasks/{task_id}": _get("One task with its nodes and payouts", "the task", _ref(TaskDetail),
                                         ("400", "404"), [TASK_ID]),
            "/api/tasks/{task_id}/trace": _get("Every on-chain event of a task, in chain order, with its actor",
                                               "the audit trace", _ref(Trace), ("400", "404"), [TASK_ID]),
            "/api/tasks/{task_id}/rounds": _get("A data-parallel task's round book and timeline: per round its "
                                                "state, deadline and flag, per member its commitment and status, "
                                                "with contributed rounds and pay shares (404: no book)",
                                                "the round timeline", _ref(RoundTimeline), ("400", "404"),
                                                [TASK_ID]),
            "/api/nodes": _get("Registered nodes", "a page of nodes", _ref(NodeList), ("400",), PAGE),
            "/api/nodes/{address}": _get("A node's profile, stake, reputation, earnings and history", "the node",
                                         _ref(NodeDetail), ("400", "404"),
                                         [_path_param("address", ADDRESS, "node address")]),
            "/api/disputes": _get("Disputes (empty when the deployment has no arbitration)", "disputes",
                                  _ref(DisputeList)),
            "/api/disputes/{dispute_id}": _get("One dispute", "the dispute", _ref(Dispute), ("400", "404"), [
                _path_param("dispute_id", {"type": "integer", "minimum": 0}, "dispute id")]),
            "/api/models": _get("The model library, newest first (empty when the deployment has no model "
                                "registry)", "a page of models", _ref(ModelList), ("400",), [
                _query("task", {"type": "integer", "minimum": 1}, "only the model this task trained or verified"),
                _query("owner", ADDRESS, "only models this account owns a share of"),
                _query("verified", {"type": "boolean"}, "only verified (true) or unverified (false) models"),
                _query("framework", {"type": "string"}, "only models of this framework (any case)"),
                _query("metric", {"type": "string"}, "only models scored by this metric (any case), e.g. accuracy"),
                _query("licence", {"type": "string"}, "only models under this SPDX licence id (any case)"),
                _query("domain", {"enum": list(DOMAINS)}, "only models of this domain"),
                _query("min_rating", {"type": "number", "minimum": 1, "maximum": 5},
                       "only models whose shown rating (the verified users' average when there is one, else "
                       "the stake-weighted one) is at least this many stars"),
                _query("sort", {"enum": list(MODEL_SORTS), "default": "newest"},
                       "newest first, the best metric value first (unscored models last) or the best shown "
                       "rating first (unrated models last)"), *PAGE]),
            "/api/models/{model_id}": _get("One model with its owners and shares, lineage up to the root and "
                                           "children", "the model", _ref(ModelDetail), ("400", "404"), [
                MODEL_ID]),
            "/api/models/{model_id}/ratings": _get(
                "A model's live ratings (verified users' and staked), with both averages and the shown one",
                "a page of ratings", _ref(RatingList), ("400", "404"), [MODEL_ID, *PAGE]),
            "/api/models/{model_id}/spec": _get("The spec a model was trained or verified with (checked against its "
                                                "spec digest), to fine-tune it or run it", "the spec",
                                                _ref(ModelSpec), ("400", "404", "422"), [MODEL_ID]),
            "/api/models/{model_id}/reviews": _get("The review documents of a model's live ratings, read from "
                                                   "storage (each with its text, or why it cannot be shown)",
                                                   "a page of reviews", _ref(ReviewList), ("400", "404"),
                                                   [MODEL_ID, *PAGE]),
            "/api/models/{model_id}/file": {"get": {
                "summary": "The model's file, its weights checked against the registered digest first (as `nnc "
                           "model get` checks them); the SHA-256 of the bytes sent is in the X-NNC-SHA256 header",
                "parameters": [MODEL_ID],
                "responses": {"200": {"description": "the checked file", "headers": {
                    "X-NNC-SHA256": {"schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                                     "description": "SHA-256 of the body"},
                    "X-NNC-Model-Digest": {"schema": {"type": "string"},
                                           "description": "the registered model digest the weights matched"}},
                    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                    **_errors(("400", "404", "422", "502", "503"))}}},
            "/api/proposals": _get("Governance proposals (empty when the deployment has no governor)", "proposals",
                                   _ref(ProposalList)),
            "/api/proposals/parameters": _get("Every parameter the DAO governs, with its value now and the setter's "
                                              "inputs (what a proposal form needs)", "the parameters",
                                              _ref(GovernedParameterList)),
            "/api/proposals/{proposal_id}": _get("One proposal", "the proposal", _ref(Proposal), ("400", "404"), [
                _path_param("proposal_id", {"type": "integer", "minimum": 0}, "proposal id")]),
            "/api/uploads": {"post": {
                "summary": f"Store a spec, dataset or hardware profile (limits: {limits})",
                "parameters": [{"name": "kind", "in": "query", "required": True, "schema": {"enum": list(KINDS)}}],
                "requestBody": upload_body,
                "responses": _responses("stored", _ref(Upload), ("400", "413", "422", "502"), "201")}},
            "/api/uploads/target": _get("Where the browser uploads a dataset too large for /api/uploads: the "
                                        "storage node, in chunks", "the upload target", _ref(UploadTarget),
                                        chain=False),
            "/api/specs": {"post": {"summary": "Validate a task spec and store its canonical JSON",
                                    "requestBody": json_spec,
                                    "responses": _responses("stored", _ref(Upload), ("400", "413", "422", "502"),
                                                            "201")}},
            "/api/specs/validate": {"post": {"summary": "Validate a task spec (200 with valid=false and the "
                                                        "problems when it does not validate)",
                                             "requestBody": json_spec,
                                             "responses": _responses("the verdict", _ref(Validation),
                                                                     ("400", "413"))}},
            "/api/specs/estimate": {"post": {"summary": "Dry run: a few real training steps, extrapolated",
                                             "requestBody": json_spec,
                                             "responses": _responses("estimate", _ref(Estimate),
                                                                     ("400", "413", "422"))}},
            "/api/templates": _get("The example specs shipped with NNC (examples/), each with its figures and "
                                   "full spec JSON", "templates", _ref(TemplateList), chain=False),
            "/api/runtimes": _get("The training frameworks this server has installed, with package versions",
                                  "runtimes", _ref(RuntimeList), chain=False),
            "/api/openapi.json": {"get": {"summary": "This document", "responses": {"200": {
                "description": "the OpenAPI document", "content": {"application/json": {"schema": {
                    "type": "object"}}}}}}},
        },
        "components": {"schemas": SCHEMAS},
    }
