"""A data-parallel task's round timeline on the task page, in real headless Chromium against the
real devnet and API (tests/browser/rounds_flows.mjs): the round book the round book's e2e drives
(3 members, 3 rounds, a straggler replaced, round 2 flagged), a book still running, and a task
without a book."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nnc.api import ApiContext, ApiServer
from nnc.chain.market import Market, PublishRequest
from nnc.devnet import REQUESTER, Devnet
from nnc.storage import LocalStore
from tests.browser.driver import run_flows
from tests.e2e.harness import settings_for
from tests.e2e.round_books import delta_uri, digest, drive_straggler_book, open_running_book

pytestmark = pytest.mark.e2e

SCRIPT = Path(__file__).with_name("rounds_flows.mjs")


def no_ops(op: dict[str, Any]) -> dict[str, Any]:
    return {"ok": False, "error": f"this flow moves no chain: unknown op {op['op']!r}"}


def test_the_task_page_shows_the_round_timeline(chain: Devnet, tmp_path: Path) -> None:
    book = drive_straggler_book(chain)
    running = open_running_book(chain, book.members)
    now = int(chain.client(REQUESTER).w3.eth.get_block("latest")["timestamp"])
    plain, _ = Market(chain.client(REQUESTER)).publish(PublishRequest(
        spec_digest=digest("plain"), spec_uri="local://plain", budget=10**17, replication=1, collateral=10**18,
        apply_deadline=now + 60, deadline=now + 600))
    nodes = [book.address[a] for a in (*book.members[:2], book.straggler, book.replacement)]
    context = ApiContext.from_settings(settings_for(chain, tmp_path / "api", 0), store=LocalStore(tmp_path / "store"))
    with ApiServer(context) as server:
        env = {"NNC_API_URL": server.url, "NNC_RPC_URL": chain.rpc_url,
               "NNC_BOOKS": json.dumps({"finished": book.task_id, "running": running, "plain": plain, "nodes": nodes,
                                        "delta": delta_uri(book.replacement, 3),
                                        "delta_digest": "0x" + digest("delta", book.replacement, 3).hex()})}
        result = run_flows(SCRIPT, env, no_ops).check()
    assert len(result["screenshots"]) == 2 and result["console_errors"] == []
