"""/api/params, /api/deployment, /api/health: the protocol's parameters, the deployment, where chain and index stand."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from nnc.api import protocol as service
from nnc.api.context import current_context

protocol = Blueprint("protocol", __name__, url_prefix="/api")


@protocol.get("/params")
def params() -> Response:
    return jsonify(service.protocol_params(current_context()))


@protocol.get("/deployment")
def deployment() -> Response:
    return jsonify(service.deployment_info(current_context()))


@protocol.get("/health")
def health() -> Response:
    return jsonify(service.health(current_context()))
