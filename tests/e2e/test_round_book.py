"""The round book of a data-parallel task on a real devnet, driven directly (no training): a task
published for 3 nodes, declared 3 rounds by its requester, assigned by the market; one node
misses two rounds, is replaced by a fourth node, and the book finishes with pay shares by
contributed rounds; `nnc task rounds` prints the timeline from the chain."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner

from nnc.chain.market import Market, PublishRequest
from nnc.chain.profiles import NNT
from nnc.chain.registry import Registry
from nnc.chain.rounds import BookStatus, CommitState, RoundBook, RoundStatus
from nnc.devnet import REQUESTER, Devnet
from nnc.errors import ContractRevertError
from tests.e2e.harness import advance_time

pytestmark = pytest.mark.e2e

ROUND_SECONDS = 120
COLLATERAL = 10 * NNT


def _digest(*parts: object) -> bytes:
    return hashlib.sha256(repr(parts).encode()).digest()


def _start_of(round_: int) -> bytes:
    """The round's start weights as every honest member computes them (the init, then each outer step)."""
    return _digest("start weights", round_)


def _join_as_node(devnet: Devnet, account: int) -> None:
    registry = Registry(devnet.client(account))
    registry.register(_digest("profile", account), 1)
    registry.stake(200 * NNT)


def test_three_nodes_three_rounds_a_straggler_replaced_and_paid_by_contributed_rounds(chain: Devnet,
                                                                                       tmp_path: Path) -> None:
    members = chain.node_indices()  # three node accounts
    replacement = chain.voter  # a fourth account holding NNT
    for account in [*members, replacement]:
        _join_as_node(chain, account)
    requester_market = Market(chain.client(REQUESTER))
    now = int(chain.client(REQUESTER).w3.eth.get_block("latest")["timestamp"])
    task_id, _ = requester_market.publish(PublishRequest(
        spec_digest=_digest("spec"), spec_uri="local://spec", budget=10**18, replication=3, collateral=COLLATERAL,
        apply_deadline=now + 60, deadline=now + 3600))
    RoundBook(chain.client(REQUESTER)).open(task_id, 3, 3, ROUND_SECONDS)
    for account in members:
        Market(chain.client(account)).apply(task_id)
    requester_market.assign(task_id)

    books = {account: RoundBook(chain.client(account)) for account in [*members, replacement]}
    anyone = RoundBook(chain.client(REQUESTER))
    address = {account: chain.address(account) for account in [*members, replacement]}
    straggler = members[2]

    def commit(account: int, round_: int, start: bytes | None = None) -> None:
        books[account].commit(task_id, round_, _digest("delta", account, round_), start or _start_of(round_),
                              f"local://delta-{account}-{round_}")

    # rounds 1 and 2: the third member commits nothing; each round closes at its deadline; in
    # round 2 the second member states start weights other than the first's (the round is flagged)
    wrong_start = _digest("weights it did not start from")
    for round_ in (1, 2):
        commit(members[0], round_)
        commit(members[1], round_, wrong_start if round_ == 2 else None)
        with pytest.raises(ContractRevertError) as err:
            anyone.close_round(task_id)
        assert err.value.name == "RoundDeadlineNotReached"
        advance_time(chain, ROUND_SECONDS + 1)
        anyone.close_round(task_id)
    assert anyone.participant(task_id, address[straggler]).missed == 2

    # anyone replaces it; it can commit no more; the fourth node takes its seat in round 3
    anyone.replace(task_id, address[straggler])
    with pytest.raises(ContractRevertError) as err:
        commit(straggler, 3)
    assert err.value.name == "NotMember"
    books[replacement].join(task_id)
    assert anyone.members(task_id) == [address[members[0]], address[members[1]], address[replacement]]
    for account in [*members[:2], replacement]:
        commit(account, 3)  # the last commitment closes round 3 and finishes the book

    book = anyone.book(task_id)
    assert (book.status, book.closed, book.total_contributed) == (BookStatus.FINISHED, 3, 7)
    assert [anyone.round(task_id, r).status for r in (1, 2, 3)] == [RoundStatus.CLOSED] * 3
    assert anyone.round(task_id, 3).start_digest == _start_of(3)
    assert [anyone.round(task_id, r).disputed for r in (1, 2, 3)] == [False, True, False]
    contributed = {a: anyone.contributed_rounds(task_id, address[a]) for a in [*members, replacement]}
    assert contributed == {members[0]: 3, members[1]: 3, straggler: 0, replacement: 1}
    shares = anyone.pay_shares(task_id)
    assert sum(shares.values()) == 10_000
    assert shares == {address[members[0]]: 4287, address[members[1]]: 4285, address[straggler]: 0,
                      address[replacement]: 1428}

    timeline = anyone.timeline(task_id)
    rows = {row.node: row for row in timeline.rows}
    assert [c.state for c in rows[address[straggler]].cells] == [CommitState.NONE] * 3
    assert rows[address[replacement]].delta_uris == [None, None, f"local://delta-{replacement}-3"]
    assert rows[address[members[0]]].cells[1].delta_digest == _digest("delta", members[0], 2)

    env = {"NNC_CONFIG": str(tmp_path / "absent.toml"), "NNC_RPC_URL": chain.rpc_url,
           "NNC_DEPLOYMENT_FILE": str(chain.deployment_file), "NNC_DATA_DIR": str(tmp_path / "cli"),
           "NNC_KEY_FILE": None, "NNC_PRIVATE_KEY": None}
    from nnc.cli import cli

    shown = CliRunner().invoke(cli, ["task", "rounds", str(task_id)], env=env)
    assert shown.exit_code == 0, shown.output
    assert f"task {task_id}: round book finished" in shown.stdout
    assert f"node {address[straggler]}  replaced, from round 1: contributed 0, missed 2, share 0 bps" in shown.stdout
    assert f"node {address[replacement]}  seat 3, from round 3: contributed 1, missed 0, share 1428 bps" in shown.stdout
    assert f"(stated start 0x{wrong_start.hex()})" in shown.stdout and "FLAGGED" in shown.stdout
    assert "round 2   not seated yet" in shown.stdout and "round 2   no commitment" in shown.stdout
    assert f"counted   delta 0x{_digest('delta', replacement, 3).hex()}  local://delta-{replacement}-3" in shown.stdout


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
