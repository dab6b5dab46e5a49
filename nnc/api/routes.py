"""The API's blueprints, one per resource. Views only parse input and call the services."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from nnc.api import governance, nodes, protocol, tasks, templates, uploads
from nnc.api.context import ApiContext
from nnc.api.errors import InvalidInputError, PayloadTooLargeError, UnprocessableError
from nnc.api.estimate import dry_run
from nnc.api.validation import parse_address, parse_int, parse_page, parse_task_filters, parse_task_id
from nnc.errors import TaskSpecError
from nnc.task import parse_spec

tasks_bp = Blueprint("tasks", __name__, url_prefix="/api/tasks")
nodes_bp = Blueprint("nodes", __name__, url_prefix="/api/nodes")
governance_bp = Blueprint("governance", __name__, url_prefix="/api")
storage_bp = Blueprint("storage", __name__, url_prefix="/api")
protocol_bp = Blueprint("protocol", __name__, url_prefix="/api")
templates_bp = Blueprint("templates", __name__, url_prefix="/api")
BLUEPRINTS = (tasks_bp, nodes_bp, governance_bp, storage_bp, protocol_bp, templates_bp)


def ctx() -> ApiContext:
    context = current_app.extensions["nnc"]
    assert isinstance(context, ApiContext)
    return context


def _json_body() -> dict[str, Any]:
    if not request.is_json:
        raise InvalidInputError(f"expected a JSON body (Content-Type: application/json, got {request.mimetype!r})")
    raw = request.get_data(cache=True)
    if len(raw) > uploads.LIMITS["spec"]:
        raise PayloadTooLargeError("JSON body", len(raw), uploads.LIMITS["spec"])
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInputError("the JSON body must be an object")
    return body


# -- tasks ---------------------------------------------------------------------------------

@tasks_bp.get("")
def list_tasks() -> Response:
    filters = parse_task_filters(request.args)
    return jsonify(tasks.list_tasks(ctx(), filters, parse_page(request.args)))


@tasks_bp.get("/<task_id>")
def get_task(task_id: str) -> Response:
    return jsonify(tasks.get_task(ctx(), parse_task_id(task_id)))


@tasks_bp.get("/<task_id>/trace")
def task_trace(task_id: str) -> Response:
    return jsonify(tasks.task_trace(ctx(), parse_task_id(task_id)))


# -- nodes ---------------------------------------------------------------------------------

@nodes_bp.get("")
def list_nodes() -> Response:
    return jsonify(nodes.list_nodes(ctx(), parse_page(request.args)))


@nodes_bp.get("/<address>")
def get_node(address: str) -> Response:
    return jsonify(nodes.get_node(ctx(), parse_address("node address", address)))


# -- disputes and proposals ----------------------------------------------------------------

@governance_bp.get("/disputes")
def list_disputes() -> Response:
    return jsonify(governance.list_disputes(ctx()))


@governance_bp.get("/disputes/<dispute_id>")
def get_dispute(dispute_id: str) -> Response:
    return jsonify(governance.get_dispute(ctx(), parse_int("dispute id", dispute_id)))


@governance_bp.get("/proposals")
def list_proposals() -> Response:
    return jsonify(governance.list_proposals(ctx()))


@governance_bp.get("/proposals/<proposal_id>")
def get_proposal(proposal_id: str) -> Response:
    return jsonify(governance.get_proposal(ctx(), parse_int("proposal id", proposal_id)))


# -- storage -------------------------------------------------------------------------------

@storage_bp.post("/uploads")
def upload() -> tuple[Response, int]:
    kind = request.args.get("kind", "")
    if kind not in uploads.KINDS:
        raise InvalidInputError(f"kind must be one of {', '.join(uploads.KINDS)} (got {kind[:40]!r})")
    if "file" not in request.files:
        raise InvalidInputError("expected a multipart/form-data body with a 'file' field")
    data = uploads.read_bounded(request.files["file"].stream, kind)
    store = ctx().store
    if kind == "spec":
        return jsonify(uploads.store_spec(store, data)), 201
    if kind == "profile":
        return jsonify(uploads.store_profile(store, data)), 201
    return jsonify(uploads.store_dataset(store, data)), 201


@storage_bp.post("/specs")
def store_spec() -> tuple[Response, int]:
    return jsonify(uploads.store_spec(ctx().store, _json_body())), 201


@storage_bp.post("/specs/validate")
def validate_spec() -> Response:
    """A verdict, not a failure: 200 with `valid` false and the problems for a spec that does not validate."""
    return jsonify(uploads.validate_spec(_json_body()))


@storage_bp.post("/specs/estimate")
def estimate_spec() -> Response:
    try:
        spec = parse_spec(_json_body(), source="spec")
    except TaskSpecError as exc:
        raise UnprocessableError(str(exc)) from None
    return jsonify(dry_run(spec))


# -- templates and runtimes ---------------------------------------------------------------

@templates_bp.get("/templates")
def list_templates() -> Response:
    return jsonify(templates.list_templates())


@templates_bp.get("/runtimes")
def list_runtimes() -> Response:
    return jsonify(templates.list_runtimes())


# -- protocol ------------------------------------------------------------------------------

@protocol_bp.get("/params")
def params() -> Response:
    return jsonify(protocol.protocol_params(ctx()))


@protocol_bp.get("/deployment")
def deployment() -> Response:
    return jsonify(protocol.deployment_info(ctx()))


@protocol_bp.get("/health")
def health() -> Response:
    context = ctx()
    with context.index() as index:
        indexed = index.last_block
    return jsonify({"ok": True, "chain_id": context.deployment.chain_id, "block": context.client.block_number(),
                    "indexed_block": indexed})
