"""/api/nodes: registered nodes, and one node's profile, stake, earnings and history."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from nnc.api import nodes as service
from nnc.api.context import current_context
from nnc.api.validation import parse_address, parse_page

nodes = Blueprint("nodes", __name__, url_prefix="/api/nodes")


@nodes.get("")
def list_nodes() -> Response:
    return jsonify(service.list_nodes(current_context(), parse_page(request.args)))


@nodes.get("/<address>")
def get_node(address: str) -> Response:
    return jsonify(service.get_node(current_context(), parse_address("node address", address)))
