"""Bodies every resource shares: the error, and an on-chain event with its actor."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, with_config
from typing_extensions import TypedDict

from nnc.api.responses.scalars import Address, Hex32


@with_config(ConfigDict(extra="forbid"))
class ErrorDetail(TypedDict):
    status: int
    code: str
    message: str


@with_config(ConfigDict(extra="forbid"))
class Error(TypedDict):
    """Every failure: the HTTP status again, a stable code and a message for people."""

    error: ErrorDetail


class Event(TypedDict):
    """One on-chain event with the account that sent its transaction (`actor`)."""

    block: int
    log_index: int
    tx: Hex32
    timestamp: int
    actor: Address
    contract: str
    name: str
    task_id: int | None
    node: str | None
    args: dict[str, Any]
