"""/api/models: the model library with filters, one model with its owners, lineage, children and
ratings summary, its spec, its file checked against the registered digest, a page of its ratings,
and its ratings' review documents."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from nnc.api import model_files, reviews
from nnc.api import models as service
from nnc.api import ratings as rating_service
from nnc.api.context import current_context
from nnc.api.validation import parse_int, parse_model_filters, parse_page

models = Blueprint("models", __name__, url_prefix="/api/models")

SHA256_HEADER = "X-NNC-SHA256"
DIGEST_HEADER = "X-NNC-Model-Digest"


def _model_id(raw: str) -> int:
    return parse_int("model id", raw, low=1, high=2**64 - 1)


@models.get("")
def list_models() -> Response:
    return jsonify(service.list_models(current_context(), parse_model_filters(request.args),
                                       parse_page(request.args)))


@models.get("/<model_id>")
def get_model(model_id: str) -> Response:
    return jsonify(service.get_model(current_context(), _model_id(model_id)))


@models.get("/<model_id>/spec")
def get_model_spec(model_id: str) -> Response:
    return jsonify(model_files.get_model_spec(current_context(), _model_id(model_id)))


@models.get("/<model_id>/file")
def get_model_file(model_id: str) -> Response:
    checked = model_files.get_model_file(current_context(), _model_id(model_id))
    return Response(checked.data, mimetype="application/octet-stream", headers={
        "Content-Disposition": f'attachment; filename="model-{checked.model_id}.pt"',
        SHA256_HEADER: checked.sha256, DIGEST_HEADER: checked.model_digest,
        "Access-Control-Expose-Headers": f"{SHA256_HEADER}, {DIGEST_HEADER}"})


@models.get("/<model_id>/reviews")
def list_reviews(model_id: str) -> Response:
    return jsonify(reviews.list_reviews(current_context(), _model_id(model_id), parse_page(request.args)))



@models.get("/<model_id>/ratings")
def list_ratings(model_id: str) -> Response:
    return jsonify(rating_service.list_ratings(current_context(), _model_id(model_id), parse_page(request.args)))
