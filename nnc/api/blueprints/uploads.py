"""/api/uploads: storing a spec, dataset or hardware profile the browser uploads as a file."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from nnc.api import uploads as service
from nnc.api.context import current_context
from nnc.api.errors import InvalidInputError

uploads = Blueprint("uploads", __name__, url_prefix="/api/uploads")


@uploads.get("/target")
def target() -> Response:
    return jsonify(service.upload_target(current_context().settings))


@uploads.post("")
def upload() -> tuple[Response, int]:
    kind = service.parse_kind(request.args.get("kind", ""))
    if "file" not in request.files:
        raise InvalidInputError("expected a multipart/form-data body with a 'file' field")
    data = service.read_bounded(request.files["file"].stream, kind)
    return jsonify(service.store_upload(current_context().store, kind, data)), 201
