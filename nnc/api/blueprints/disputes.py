"""/api/disputes: arbitration disputes, with their votes and status."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from nnc.api import governance as service
from nnc.api.context import current_context
from nnc.api.validation import parse_int

disputes = Blueprint("disputes", __name__, url_prefix="/api/disputes")


@disputes.get("")
def list_disputes() -> Response:
    return jsonify(service.list_disputes(current_context()))


@disputes.get("/<dispute_id>")
def get_dispute(dispute_id: str) -> Response:
    return jsonify(service.get_dispute(current_context(), parse_int("dispute id", dispute_id)))
