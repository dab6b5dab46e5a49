"""/api/templates and /api/runtimes: what the publish page offers (example specs, installed frameworks)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from nnc.api import templates as service

catalog = Blueprint("catalog", __name__, url_prefix="/api")


@catalog.get("/templates")
def list_templates() -> Response:
    return jsonify(service.list_templates())


@catalog.get("/runtimes")
def list_runtimes() -> Response:
    return jsonify(service.list_runtimes())
