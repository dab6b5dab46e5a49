"""Errors the API answers with: each carries its HTTP status and a machine-readable code."""

from __future__ import annotations

from nnc.errors import NNCError


class ApiError(NNCError):
    """A request the API refuses; `status` is the HTTP status, `code` a stable identifier."""

    status = 400
    code = "bad_request"


class InvalidInputError(ApiError):
    """A parameter or body has the wrong type, range or form; the message names it and its value."""

    status = 400
    code = "invalid_input"


class NotFoundError(ApiError):
    """No such task, node, dispute, proposal or route."""

    status = 404
    code = "not_found"


class PayloadTooLargeError(ApiError):
    """An upload is over its kind's size limit."""

    status = 413
    code = "payload_too_large"

    def __init__(self, kind: str, size: int, limit: int) -> None:
        super().__init__(f"{kind} upload of {size} bytes is over the limit of {limit} bytes")
        self.kind = kind
        self.size = size
        self.limit = limit


class UnprocessableError(ApiError):
    """Well-formed input that does not validate (a task spec, a hardware profile)."""

    status = 422
    code = "invalid_document"
