"""/api/specs: a task spec sent as JSON, stored, validated or estimated (a dry run)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from nnc.api import uploads
from nnc.api.context import current_context
from nnc.api.errors import InvalidInputError, PayloadTooLargeError, UnprocessableError
from nnc.api.estimate import dry_run
from nnc.errors import TaskSpecError
from nnc.task import parse_spec

specs = Blueprint("specs", __name__, url_prefix="/api/specs")


@specs.post("")
def store_spec() -> tuple[Response, int]:
    return jsonify(uploads.store_spec(current_context().store, _json_body())), 201


@specs.post("/validate")
def validate_spec() -> Response:
    """A verdict, not a failure: 200 with `valid` false and the problems for a spec that does not validate."""
    return jsonify(uploads.validate_spec(_json_body()))


@specs.post("/estimate")
def estimate_spec() -> Response:
    try:
        spec = parse_spec(_json_body(), source="spec")
    except TaskSpecError as exc:
        raise UnprocessableError(str(exc)) from None
    return jsonify(dry_run(spec, client=current_context().client))


def _json_body() -> dict[str, Any]:
    """The request's JSON object, bounded like a spec upload."""
    if not request.is_json:
        raise InvalidInputError(f"expected a JSON body (Content-Type: application/json, got {request.mimetype!r})")
    raw = request.get_data(cache=True)
    if len(raw) > uploads.LIMITS["spec"]:
        raise PayloadTooLargeError("JSON body", len(raw), uploads.LIMITS["spec"])
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInputError("the JSON body must be an object")
    return body
