"""The Flask app factory: JSON API blueprints, JSON errors for every failure, and the web app."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from flask import Flask, Response, jsonify, send_from_directory
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from nnc.api.blueprints import BLUEPRINTS
from nnc.api.context import ApiContext
from nnc.api.errors import ApiError
from nnc.api.openapi import openapi_document
from nnc.api.uploads import LIMITS
from nnc.errors import (
    ChainError,
    ChainUnavailableError,
    ContentNotFoundError,
    ContractRevertError,
    NNCError,
    StorageError,
)
from nnc.paths import NODE_MODULES, REPO_ROOT

log = logging.getLogger(__name__)

FRONTEND_DIR = REPO_ROOT / "frontend"
VENDOR = {"ethers.js": NODE_MODULES / "ethers" / "dist" / "ethers.min.js"}
MAX_CONTENT_LENGTH = max(LIMITS.values()) + 64 * 1024  # multipart framing on top of the largest upload


def create_app(context: ApiContext, frontend_dir: Path = FRONTEND_DIR) -> Flask:
    """The API over one deployment (`context`), serving the web app in `frontend_dir` at `/`."""
    app = Flask(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["nnc"] = context
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)

    @app.get("/api/openapi.json")
    def openapi() -> Response:
        return jsonify(openapi_document())

    @app.get("/vendor/<name>")
    def vendor(name: str) -> Response:
        if name not in VENDOR:
            return _error(404, "not_found", f"no vendored file {name!r}")
        path = VENDOR[name]
        return send_from_directory(path.parent, path.name, mimetype="text/javascript")

    @app.get("/")
    def index() -> Response:
        return send_from_directory(frontend_dir, "index.html")

    @app.get("/<path:path>")
    def frontend(path: str) -> Response:
        if path.startswith("api/"):
            return _error(404, "not_found", f"no API route /{path}")
        return send_from_directory(frontend_dir, path)

    _register_error_handlers(app)
    return app


def _error(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": {"status": status, "code": code, "message": message}})
    response.status_code = status
    return response


_PROTOCOL_ERRORS: dict[type[NNCError], tuple[int, str]] = {
    ContentNotFoundError: (404, "content_not_found"),
    ContractRevertError: (409, "contract_revert"),
    ChainUnavailableError: (503, "chain_unavailable"),
    ChainError: (502, "chain_error"),
    StorageError: (502, "storage_error"),
    NNCError: (400, "error"),
}
"""How the errors of the services the API calls reach clients (Flask picks the most specific class)."""


def _protocol_error_handler(status: int, code: str) -> Callable[[NNCError], Response]:
    def handle(exc: NNCError) -> Response:
        return _error(status, code, str(exc))

    return handle


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(exc: ApiError) -> Response:
        return _error(exc.status, exc.code, str(exc))

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge) -> Response:
        return _error(413, "payload_too_large", f"request body over the limit of {MAX_CONTENT_LENGTH} bytes")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        code = (exc.name or "error").lower().replace(" ", "_")
        return _error(status, code, exc.description or exc.name)

    for error_class, (status, code) in _PROTOCOL_ERRORS.items():
        app.register_error_handler(error_class, _protocol_error_handler(status, code))

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("unhandled error in the API")
        return _error(500, "internal_error", f"internal error: {exc.__class__.__name__}")
