"""The round book of a data-parallel task on a real devnet, driven directly (no training): a task
published for 3 nodes, declared 3 rounds by its requester, assigned by the market; one node
misses two rounds, is replaced by a fourth node, and the book finishes with pay shares by
contributed rounds; `nnc task rounds` prints the timeline from the chain."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from nnc.chain.rounds import BookStatus, CellStatus, CommitState, RoundBook, RoundStatus
from nnc.devnet import REQUESTER, Devnet
from nnc.errors import ContractRevertError
from tests.e2e.round_books import WRONG_START, delta_uri, digest, drive_straggler_book, start_of

pytestmark = pytest.mark.e2e


def test_three_nodes_three_rounds_a_straggler_replaced_and_paid_by_contributed_rounds(chain: Devnet,
                                                                                       tmp_path: Path) -> None:
    driven = drive_straggler_book(chain)
    task_id, members, straggler, replacement, address = (driven.task_id, driven.members, driven.straggler,
                                                          driven.replacement, driven.address)
    anyone = RoundBook(chain.client(REQUESTER))

    book = anyone.book(task_id)
    assert (book.status, book.closed, book.total_contributed) == (BookStatus.FINISHED, 3, 7)
    assert [anyone.round(task_id, r).status for r in (1, 2, 3)] == [RoundStatus.CLOSED] * 3
    assert anyone.round(task_id, 3).start_digest == start_of(3)
    assert [anyone.round(task_id, r).disputed for r in (1, 2, 3)] == [False, True, False]
    contributed = {a: anyone.contributed_rounds(task_id, address[a]) for a in [*members, replacement]}
    assert contributed == {members[0]: 3, members[1]: 3, straggler: 0, replacement: 1}
    shares = anyone.pay_shares(task_id)
    assert sum(shares.values()) == 7_777  # 7 of the 9 seat-rounds done: the 2 missed go back to the requester
    assert shares == {address[members[0]]: 3333, address[members[1]]: 3333, address[straggler]: 0,
                      address[replacement]: 1111}

    timeline = anyone.timeline(task_id)
    rows = {row.node: row for row in timeline.rows}
    assert [c.state for c in rows[address[straggler]].cells] == [CommitState.NONE] * 3
    assert rows[address[replacement]].delta_uris == [None, None, delta_uri(replacement, 3)]
    assert rows[address[members[0]]].cells[1].delta_digest == digest("delta", members[0], 2)
    statuses = {a: [timeline.status_of(rows[address[a]], r) for r in (1, 2, 3)] for a in (straggler, replacement)}
    assert statuses == {straggler: [CellStatus.MISSED, CellStatus.MISSED, CellStatus.NOT_SEATED],
                        replacement: [CellStatus.NOT_SEATED, CellStatus.NOT_SEATED, CellStatus.COUNTED]}

    env = {"NNC_CONFIG": str(tmp_path / "absent.toml"), "NNC_RPC_URL": chain.rpc_url,
           "NNC_DEPLOYMENT_FILE": str(chain.deployment_file), "NNC_DATA_DIR": str(tmp_path / "cli"),
           "NNC_KEY_FILE": None, "NNC_PRIVATE_KEY": None}
    from nnc.cli import cli

    shown = CliRunner().invoke(cli, ["task", "rounds", str(task_id)], env=env)
    assert shown.exit_code == 0, shown.output
    assert f"task {task_id}: round book finished" in shown.stdout
    assert f"node {address[straggler]}  replaced, from round 1: contributed 0, missed 2, share 0 bps" in shown.stdout
    assert f"node {address[replacement]}  seat 3, from round 3: contributed 1, missed 0, share 1111 bps" in shown.stdout
    assert f"(stated start 0x{WRONG_START.hex()})" in shown.stdout and "FLAGGED" in shown.stdout
    assert "round 2   not seated" in shown.stdout and "round 2   missed: no commitment" in shown.stdout
    counted = f"counted   commitment 0x{digest('delta', replacement, 3).hex()}  {delta_uri(replacement, 3)}"
    assert counted in shown.stdout

    # `nnc task status` prints the same timeline, one line per node
    status = CliRunner().invoke(cli, ["task", "status", str(task_id)], env=env)
    assert status.exit_code == 0, status.output
    lines = status.stdout.splitlines()
    assert f"task {task_id}: round book finished" in lines
    assert "  flagged round(s) 2: start digests disagree or a delta was copied" in lines
    assert f"  node {address[straggler]}  r1 missed | r2 missed | r3 not seated  share 0 bps" in lines
    assert (f"  node {address[replacement]}  r1 not seated | r2 not seated | "
            f"r3 counted {digest('delta', replacement, 3).hex()[:8]}  share 1111 bps") in lines


def test_the_deployed_book_is_wired_to_the_market_and_its_refuters(chain: Devnet) -> None:
    book = RoundBook(chain.client(REQUESTER))
    deployment = chain.deployment
    assert deployment is not None
    assert book.contract.functions.market().call() == deployment.address_of("TaskMarket")
    refuter = book.contract.functions.REFUTER_ROLE().call()
    for name in ("SpotCheck", "Arbitration"):
        assert book.contract.functions.hasRole(refuter, deployment.address_of(name)).call(), name
    assert not book.contract.functions.hasRole(b"\x00" * 32, deployment.deployer).call()
    with pytest.raises(ContractRevertError) as err:  # not a refuter
        book.refute(1, chain.address(REQUESTER), 1)
    assert err.value.name == "AccessControlUnauthorizedAccount"
