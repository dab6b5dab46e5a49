"""/api/proposals: governance proposals, with their votes and state."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from nnc.api import governance as service
from nnc.api.context import current_context
from nnc.api.validation import parse_int

proposals = Blueprint("proposals", __name__, url_prefix="/api/proposals")


@proposals.get("")
def list_proposals() -> Response:
    return jsonify(service.list_proposals(current_context()))


@proposals.get("/parameters")
def list_parameters() -> Response:
    return jsonify(service.list_parameters(current_context()))


@proposals.get("/<proposal_id>")
def get_proposal(proposal_id: str) -> Response:
    return jsonify(service.get_proposal(current_context(), parse_int("proposal id", proposal_id)))
