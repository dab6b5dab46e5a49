"""/api/models: the model library with filters, one model with its owners, lineage, children and
ratings summary, and a page of a model's ratings."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from nnc.api import models as service
from nnc.api import ratings as rating_service
from nnc.api.context import current_context
from nnc.api.validation import parse_int, parse_model_filters, parse_page

models = Blueprint("models", __name__, url_prefix="/api/models")


@models.get("")
def list_models() -> Response:
    return jsonify(service.list_models(current_context(), parse_model_filters(request.args),
                                       parse_page(request.args)))


@models.get("/<model_id>")
def get_model(model_id: str) -> Response:
    return jsonify(service.get_model(current_context(), parse_int("model id", model_id, low=1, high=2**64 - 1)))


@models.get("/<model_id>/ratings")
def list_ratings(model_id: str) -> Response:
    return jsonify(rating_service.list_ratings(current_context(), parse_int("model id", model_id, low=1,
                                                                            high=2**64 - 1),
                                               parse_page(request.args)))
