"""Parsing and bounding request input: ids, addresses, pagination, task and model filters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from web3 import Web3

from nnc.api.errors import InvalidInputError
from nnc.chain.model_domains import DOMAINS
from nnc.chain.types import TaskStatus
from nnc.oracle.index_queries import TaskFilter

MAX_LIMIT = 200
MAX_OFFSET = 1_000_000
MAX_ID = 2**256 - 1
MAX_PARAM_LENGTH = 100


def parse_int(name: str, raw: str, low: int = 0, high: int = MAX_ID) -> int:
    """A decimal integer in [low, high]; InvalidInputError naming `name` and the value otherwise."""
    shown = raw if len(raw) <= 80 else raw[:77] + "..."
    if not raw.isascii() or not raw.isdigit() or len(raw) > 78:
        raise InvalidInputError(f"{name} must be a decimal integer {low}..{high} (got {shown!r})")
    value = int(raw)
    if not low <= value <= high:
        raise InvalidInputError(f"{name} must be {low}..{high} (got {value})")
    return value


def parse_task_id(raw: str) -> int:
    return parse_int("task id", raw, low=1, high=2**64 - 1)


def parse_address(name: str, raw: str) -> str:
    """A 0x address (any case), returned lower-case, as the index stores node addresses."""
    shown = raw if len(raw) <= 80 else raw[:77] + "..."
    if not Web3.is_address(raw) or not raw.startswith("0x"):
        raise InvalidInputError(f"{name} must be a 0x-prefixed 20-byte hex address (got {shown!r})")
    return raw.lower()


@dataclass(frozen=True)
class Page:
    limit: int = 50
    offset: int = 0


def parse_page(args: Mapping[str, str]) -> Page:
    limit = parse_int("limit", args["limit"], 1, MAX_LIMIT) if "limit" in args else Page.limit
    offset = parse_int("offset", args["offset"], 0, MAX_OFFSET) if "offset" in args else Page.offset
    return Page(limit, offset)


TASK_FILTERS = ("status", "requester", "token", "node", "limit", "offset")


def parse_task_filters(args: Mapping[str, str]) -> TaskFilter:
    _check_params(args, TASK_FILTERS)
    status = None
    if "status" in args:
        names = [s.name.lower() for s in TaskStatus if s != TaskStatus.NONE]
        if args["status"].lower() not in names:
            raise InvalidInputError(f"status must be one of {', '.join(names)} (got {args['status']!r})")
        status = TaskStatus[args["status"].upper()]
    return TaskFilter(
        status=status,
        requester=parse_address("requester", args["requester"]) if "requester" in args else None,
        token=parse_address("token", args["token"]) if "token" in args else None,
        node=parse_address("node", args["node"]) if "node" in args else None)


@dataclass(frozen=True)
class ModelFilter:
    """Which models a page of /api/models lists (None: any), and in which order."""

    task: int | None = None
    owner: str | None = None
    verified: bool | None = None
    framework: str | None = None
    metric: str | None = None
    licence: str | None = None
    domain: str | None = None
    min_rating: float | None = None
    sort: str = "newest"


MODEL_FILTERS = ("task", "owner", "verified", "framework", "metric", "licence", "domain", "min_rating", "sort",
                 "limit", "offset")
MODEL_SORTS = ("newest", "metric", "rating")
"""newest: highest id first; metric: highest metric value first (unscored models last); rating: highest
shown average first (unrated models last)."""


def parse_model_filters(args: Mapping[str, str]) -> ModelFilter:
    _check_params(args, MODEL_FILTERS)
    verified = None
    if "verified" in args:
        if args["verified"].lower() not in ("true", "false"):
            raise InvalidInputError(f"verified must be true or false (got {args['verified']!r})")
        verified = args["verified"].lower() == "true"
    for name in ("framework", "metric", "licence"):
        if name in args and not args[name].strip():
            raise InvalidInputError(f"{name} must not be empty")
    domain = args.get("domain")
    if domain is not None and domain not in DOMAINS:
        raise InvalidInputError(f"domain must be one of {', '.join(DOMAINS)} (got {domain!r})")
    min_rating = None
    if "min_rating" in args:
        try:
            min_rating = float(args["min_rating"])
        except ValueError:
            min_rating = -1.0
        if not 1 <= min_rating <= 5:
            raise InvalidInputError(f"min_rating must be a number of stars from 1 to 5 (got {args['min_rating']!r})")
    sort = args.get("sort", "newest")
    if sort not in MODEL_SORTS:
        raise InvalidInputError(f"sort must be one of {', '.join(MODEL_SORTS)} (got {sort!r})")
    return ModelFilter(
        task=parse_task_id(args["task"]) if "task" in args else None,
        owner=parse_address("owner", args["owner"]) if "owner" in args else None,
        verified=verified, framework=args.get("framework"), metric=_stripped(args.get("metric")),
        licence=_stripped(args.get("licence")), domain=domain, min_rating=min_rating, sort=sort)


def _stripped(raw: str | None) -> str | None:
    return None if raw is None else raw.strip()


def _check_params(args: Mapping[str, str], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(args) - set(allowed))
    if unknown:
        raise InvalidInputError(f"unknown query parameter {unknown[0]!r} (allowed: {', '.join(allowed)})")
    for key, value in args.items():
        if len(value) > MAX_PARAM_LENGTH:
            raise InvalidInputError(f"query parameter {key!r} is over {MAX_PARAM_LENGTH} characters")
