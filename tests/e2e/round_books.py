"""A round book driven on a real devnet without training, shared by the round book's e2e, the
API's and the web app's tests: a task published for 3 nodes and declared 3 rounds by its
requester, assigned by the market; the third member misses rounds 1 and 2 (each closes at its
deadline; in round 2 the second member states start weights other than the first's, which flags
the round), is replaced, and a fourth node (an applicant the market did not assign) takes its
seat for round 3, whose last commitment
finishes the book. Checks the reverts on the way (closing early, the replaced node committing)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pytest

from nnc.chain.market import Market, PublishRequest
from nnc.chain.profiles import NNT
from nnc.chain.registry import Registry
from nnc.chain.rounds import RoundBook
from nnc.devnet import REQUESTER, Devnet
from nnc.errors import ContractRevertError
from tests.e2e.harness import advance_time

ROUND_SECONDS = 120
COLLATERAL = 10 * NNT


def digest(*parts: object) -> bytes:
    return hashlib.sha256(repr(parts).encode()).digest()


def start_of(round_: int) -> bytes:
    """The round's start weights as every honest member computes them (the init, then each outer step)."""
    return digest("start weights", round_)


def delta_uri(account: int, round_: int) -> str:
    return f"local://delta-{account}-{round_}"


WRONG_START = digest("weights it did not start from")


@dataclass(frozen=True)
class StragglerBook:
    task_id: int
    members: list[int]  # the three node accounts the market assigned
    straggler: int  # members[2]: missed rounds 1 and 2, replaced
    replacement: int  # the fourth account, seated from round 3
    address: dict[int, str]  # account index -> address


def _join_as_node(devnet: Devnet, account: int) -> None:
    registry = Registry(devnet.client(account))
    registry.register(digest("profile", account), 1)
    registry.stake(200 * NNT)


def drive_straggler_book(devnet: Devnet) -> StragglerBook:
    """Publishes, assigns and runs the book to FINISHED (see the module's docstring)."""
    members = devnet.node_indices()  # three node accounts
    replacement = devnet.voter  # a fourth account holding NNT
    for account in [*members, replacement]:
        _join_as_node(devnet, account)
    requester_market = Market(devnet.client(REQUESTER))
    now = int(devnet.client(REQUESTER).w3.eth.get_block("latest")["timestamp"])
    task_id, _ = requester_market.publish(PublishRequest(
        spec_digest=digest("spec"), spec_uri="local://spec", budget=10**18, replication=3, collateral=COLLATERAL,
        apply_deadline=now + 60, deadline=now + 3600))
    RoundBook(devnet.client(REQUESTER)).open(task_id, 3, 3, ROUND_SECONDS)
    for account in [*members, replacement]:  # the fourth applies too: a seat goes only to an applicant
        Market(devnet.client(account)).apply(task_id)
    requester_market.assign(task_id)  # first come: the three members; the fourth waits unassigned

    books = {account: RoundBook(devnet.client(account)) for account in [*members, replacement]}
    anyone = RoundBook(devnet.client(REQUESTER))
    address = {account: devnet.address(account) for account in [*members, replacement]}
    straggler = members[2]

    def commit(account: int, round_: int, start: bytes | None = None) -> None:
        books[account].commit(task_id, round_, digest("delta", account, round_), start or start_of(round_),
                              delta_uri(account, round_))

    for round_ in (1, 2):
        commit(members[0], round_)
        commit(members[1], round_, WRONG_START if round_ == 2 else None)
        with pytest.raises(ContractRevertError) as err:
            anyone.close_round(task_id)
        assert err.value.name == "RoundDeadlineNotReached"
        advance_time(devnet, ROUND_SECONDS + 1)
        anyone.close_round(task_id)
    assert anyone.participant(task_id, address[straggler]).missed == 2

    # anyone replaces it, and the market seats the unassigned applicant (the fourth node) at once,
    # from round 3; the straggler can commit no more
    anyone.replace(task_id, address[straggler])
    with pytest.raises(ContractRevertError) as err:
        commit(straggler, 3)
    assert err.value.name == "NotMember"
    assert anyone.members(task_id) == [address[members[0]], address[members[1]], address[replacement]]
    for account in [*members[:2], replacement]:
        commit(account, 3)  # the last commitment closes round 3 and finishes the book
    return StragglerBook(task_id, members, straggler, replacement, address)


def open_running_book(devnet: Devnet, members: list[int]) -> int:
    """A second book over the same (registered, staked) nodes, left running in round 1 with only
    the first member's delta committed: task id."""
    requester_market = Market(devnet.client(REQUESTER))
    now = int(devnet.client(REQUESTER).w3.eth.get_block("latest")["timestamp"])
    task_id, _ = requester_market.publish(PublishRequest(
        spec_digest=digest("running spec"), spec_uri="local://running-spec", budget=10**18, replication=3,
        collateral=COLLATERAL, apply_deadline=now + 60, deadline=now + 3600))
    RoundBook(devnet.client(REQUESTER)).open(task_id, 3, 3, ROUND_SECONDS)
    for account in members:
        Market(devnet.client(account)).apply(task_id)
    requester_market.assign(task_id)
    RoundBook(devnet.client(members[0])).commit(task_id, 1, digest("running delta", members[0], 1), start_of(1),
                                                delta_uri(members[0], 1))
    return task_id
