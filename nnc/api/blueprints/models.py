"""/api/models: the model library with filters, one model with its owners, lineage and children."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from nnc.api import models as service
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
