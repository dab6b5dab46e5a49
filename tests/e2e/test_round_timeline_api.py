"""What the web app reads of a data-parallel task's rounds through the API, on a real devnet:
/api/tasks/{id}/rounds for the round book the round book's e2e drives (3 members, 3 rounds, a
straggler replaced, a flagged round, finished) and for a book still running, and 404 for a task
without a book or no task at all."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient

from nnc.api import ApiContext, create_app
from nnc.chain.market import Market, PublishRequest
from nnc.devnet import REQUESTER, Devnet
from nnc.storage import LocalStore
from tests.api.test_api import error, ok
from tests.e2e.harness import settings_for
from tests.e2e.round_books import (
    ROUND_SECONDS,
    WRONG_START,
    StragglerBook,
    delta_uri,
    digest,
    drive_straggler_book,
    open_running_book,
    start_of,
)

pytestmark = pytest.mark.e2e


@dataclass
class Books:
    api: FlaskClient
    finished: StragglerBook
    running: int  # task id of a book in round 1, only the first member committed
    plain: int  # a task without a book


@pytest.fixture(scope="module")
def books(devnet: Devnet, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Books]:
    w3 = devnet.client(0).w3
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    data_dir = tmp_path_factory.mktemp("round-api")
    try:
        finished = drive_straggler_book(devnet)
        running = open_running_book(devnet, finished.members)
        now = int(w3.eth.get_block("latest")["timestamp"])
        plain, _ = Market(devnet.client(REQUESTER)).publish(PublishRequest(
            spec_digest=digest("plain"), spec_uri="local://plain", budget=10**17, replication=1,
            collateral=10**18, apply_deadline=now + 60, deadline=now + 600))
        context = ApiContext.from_settings(settings_for(devnet, data_dir / "api", 0), store=LocalStore(data_dir / "s"))
        yield Books(create_app(context).test_client(), finished, running, plain)
    finally:
        w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]


def _cells(body: dict[str, Any], node: str) -> list[dict[str, Any]]:
    return [next(c for c in r["cells"] if c["node"] == node) for r in body["timeline"]]


def test_a_finished_book_with_a_replaced_straggler_and_a_flagged_round(books: Books) -> None:
    b = books.finished
    body = ok(books.api, f"/api/tasks/{b.task_id}/rounds", "RoundTimeline")
    first, second, straggler, replacement = (b.address[a] for a in (*b.members[:2], b.straggler, b.replacement))
    assert {k: body[k] for k in ("task_id", "status", "nodes", "rounds", "round_duration", "current_round",
                                 "closed_rounds", "refuted_round", "vacant_seats", "total_contributed")} == {
        "task_id": b.task_id, "status": "finished", "nodes": 3, "rounds": 3, "round_duration": ROUND_SECONDS,
        "current_round": 3, "closed_rounds": 3, "refuted_round": 0, "vacant_seats": 0, "total_contributed": 7}
    members = {m["node"]: m for m in body["members"]}
    assert [m["node"] for m in body["members"]] == [first, second, straggler, replacement]
    assert {n: (m["contributed"], m["share_bps"]) for n, m in members.items()} == {
        first: (3, 3333), second: (3, 3333), straggler: (0, 0), replacement: (1, 1111)}
    assert (members[straggler]["replaced"], members[straggler]["seat"], members[straggler]["missed"]) == (True, 0, 2)
    assert (members[replacement]["seat"], members[replacement]["joined_round"]) == (3, 3)

    assert [(r["round"], r["status"], r["flagged"], r["commits"]) for r in body["timeline"]] == [
        (1, "closed", False, 2), (2, "closed", True, 2), (3, "closed", False, 3)]
    assert body["timeline"][2]["start_digest"] == "0x" + start_of(3).hex()
    assert all(r["deadline"] > 0 and r["closed_at"] > 0 for r in body["timeline"])
    assert [c["status"] for c in _cells(body, straggler)] == ["missed", "missed", "not_seated"]
    assert [c["commitment"] for c in _cells(body, straggler)] == [None, None, None]
    assert [c["status"] for c in _cells(body, replacement)] == ["not_seated", "not_seated", "counted"]
    assert _cells(body, replacement)[2]["commitment"] | {"committed_at": 0} == {
        "delta_digest": "0x" + digest("delta", b.replacement, 3).hex(), "start_digest": "0x" + start_of(3).hex(),
        "uri": delta_uri(b.replacement, 3), "committed_at": 0}
    flagged = _cells(body, second)[1]
    assert flagged["status"] == "counted" and flagged["start_disagrees"] is True
    assert flagged["commitment"]["start_digest"] == "0x" + WRONG_START.hex()
    assert _cells(body, first)[1]["start_disagrees"] is False


def test_a_running_book_shows_the_open_round_and_the_ones_to_come(books: Books) -> None:
    b = books.finished
    body = ok(books.api, f"/api/tasks/{books.running}/rounds", "RoundTimeline")
    assert (body["status"], body["current_round"], body["closed_rounds"]) == ("running", 1, 0)
    assert [(r["status"], r["commits"]) for r in body["timeline"]] == [("open", 1), ("pending", 0), ("pending", 0)]
    assert body["timeline"][0]["deadline"] > 0 and body["timeline"][1]["deadline"] == 0
    assert [[c["status"] for c in r["cells"]] for r in body["timeline"]] == [
        ["committed", "pending", "pending"], ["pending"] * 3, ["pending"] * 3]
    assert body["timeline"][0]["cells"][0]["commitment"]["uri"] == delta_uri(b.members[0], 1)
    assert [m["share_bps"] for m in body["members"]] == [0, 0, 0]


def test_a_task_without_a_book_and_an_unknown_task_are_404(books: Books) -> None:
    error(books.api.get(f"/api/tasks/{books.plain}/rounds"), 404,
          rf"task {books.plain} has no round book \(its requester did not declare it data-parallel\)")
    error(books.api.get("/api/tasks/999/rounds"), 404, r"unknown task 999 \(indexed tasks: 1\.\.")
    error(books.api.get("/api/tasks/x/rounds"), 400, "task")
