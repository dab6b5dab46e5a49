"""Publishing a task as a requester: validate, store the spec, escrow the budget, publish."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from web3 import Web3

from nnc.chain.client import ChainClient
from nnc.chain.deployment import STRATEGY_CONTRACTS
from nnc.chain.market import Market, PublishRequest
from nnc.chain.rounds import RoundBook
from nnc.chain.types import ETH
from nnc.errors import NNCError, TaskSpecError
from nnc.storage import Store
from nnc.task.cost import compute_units
from nnc.task.execution import mode_problem
from nnc.task.spec import TaskSpec, canonical_json, parse_spec, spec_digest

MAX_REPLICATION = 8

ROUNDS_SHARE_OF_WINDOW = 0.9
"""The share of a parallel task's execution window (deadline − apply window) its rounds may take
by default; the rest is kept for the last outer step, storing the model and submitting it."""


class PublishError(NNCError):
    """Publishing options are invalid; nothing was sent."""


@dataclass(frozen=True)
class PublishOptions:
    budget: int  # in the token's smallest unit
    token: str = ETH
    replication: int = 1
    collateral: int = 0  # NNT-wei each assigned node locks
    apply_window: int = 60  # seconds
    deadline: int = 3600  # seconds from now
    min_hardware_class: int = 0
    min_reputation: int = 0  # 0..10000
    strategy: str = "first-come"  # a key of STRATEGY_CONTRACTS
    round_duration: int | None = None  # seconds per round of a parallel task (None: `round_duration`'s rule)

    def check(self) -> None:
        if self.budget <= 0:
            raise PublishError(f"budget must be positive (got {self.budget})")
        if not 1 <= self.replication <= MAX_REPLICATION:
            raise PublishError(f"replication must be 1..{MAX_REPLICATION} (got {self.replication})")
        if self.collateral < 0:
            raise PublishError(f"collateral must not be negative (got {self.collateral})")
        if self.apply_window <= 0:
            raise PublishError(f"apply window must be positive seconds (got {self.apply_window})")
        if not 0 <= self.min_reputation <= 10_000:
            raise PublishError(f"minimum reputation must be 0..10000 (got {self.min_reputation})")
        if self.strategy not in STRATEGY_CONTRACTS:
            raise PublishError(f"unknown strategy {self.strategy!r} (choose from {', '.join(STRATEGY_CONTRACTS)})")
        if self.deadline <= self.apply_window:
            raise PublishError(f"deadline ({self.deadline} s) must come after the apply window "
                               f"({self.apply_window} s)")
        if self.round_duration is not None and self.round_duration <= 0:
            raise PublishError(f"round duration must be positive seconds (got {self.round_duration})")


def round_duration(spec: TaskSpec, options: PublishOptions) -> int:
    """The round duration a parallel task's book is opened with: `options.round_duration` when set,
    else `ROUNDS_SHARE_OF_WINDOW` of the execution window (deadline − apply window) split evenly
    over the spec's rounds, in whole seconds. Every round of a book may run to its deadline (a
    straggler), so the rounds together must fit the window, with time left to submit."""
    assert spec.parallel is not None
    if options.round_duration is not None:
        return options.round_duration
    return int((options.deadline - options.apply_window) * ROUNDS_SHARE_OF_WINDOW) // spec.parallel.rounds


def check_rounds(spec: TaskSpec, options: PublishOptions, min_round_duration: int) -> int:
    """The round duration of a parallel task (`round_duration`), checked against the chain's
    shortest round and the execution window (what `RoundBook.open` would refuse)."""
    assert spec.parallel is not None
    duration, rounds = round_duration(spec, options), spec.parallel.rounds
    window = options.deadline - options.apply_window
    if duration < min_round_duration:
        raise PublishError(f"{spec.name}: rounds of {duration} s are shorter than the chain's shortest round "
                           f"({min_round_duration} s): give a longer deadline or a round duration")
    if duration * rounds > window:
        raise PublishError(f"{spec.name}: {rounds} rounds of {duration} s do not fit the execution window "
                           f"({window} s between the apply window and the deadline)")
    return duration


def resolve_token(client: ChainClient, token: str) -> str:
    """'ETH', 'NNT' (the deployment's token) or an address → address."""
    if token.upper() == "ETH":
        return ETH
    if token.upper() == "NNT":
        return str(client.token.address)
    if not Web3.is_address(token):
        raise PublishError(f"unknown token {token!r}: use ETH, NNT or a 0x address")
    return Web3.to_checksum_address(token)


def parse_amount(client: ChainClient, amount: str, token: str) -> int:
    """A decimal amount of `token` ('1.5') in its smallest unit, using the token's decimals."""
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise PublishError(f"amount {amount!r} is not a number") from None
    decimals = 18 if int(token, 16) == 0 else int(client.at("NNToken", token).functions.decimals().call())
    scaled = value * (Decimal(10) ** decimals)
    if scaled != scaled.to_integral_value():
        raise PublishError(f"amount {amount} has more than {decimals} decimals")
    return int(scaled)


def check_terms(market: Market, spec: TaskSpec, replication: int, apply_window: int, deadline: int) -> None:
    """PublishError unless `replication` suits the spec's execution mode (`nnc.task.execution`) and
    the deadline leaves the market's minimum execution window after the apply window (seconds)."""
    problem = mode_problem(spec, replication)
    if problem is not None:
        raise PublishError(f"{spec.name}: {problem}")
    need = market.params().min_execution_window
    if deadline - apply_window < need:
        raise PublishError(f"the deadline ({deadline} s) must leave at least the market's minimum execution "
                           f"window ({need} s) after the apply window ({apply_window} s)")


def publish_task(client: ChainClient, store: Store, spec: TaskSpec, options: PublishOptions) -> tuple[int, str]:
    """Stores the canonical spec, then publishes and escrows; returns (task id, spec URI).

    Options are checked before anything is stored or sent (the execution window against the
    market's minimum too, and the replication against the spec's device: `nnc.task.execution`);
    the contract checks the chain's part again. A parallel task's round book is opened right
    after publishing (`round_duration`'s rule); it lives on the chain only if both go through.
    """
    options.check()
    market = Market(client)
    check_terms(market, spec, options.replication, options.apply_window, options.deadline)
    book = RoundBook(client) if spec.parallel is not None else None
    duration = check_rounds(spec, options, book.min_round_duration()) if book is not None else 0
    check_funds(client, options.token, options.budget)
    data = canonical_json(spec)
    spec_uri = store.put_bytes(data)
    now = client.next_block_timestamp()
    request = PublishRequest(
        spec_digest=spec_digest(spec), spec_uri=spec_uri, budget=options.budget,
        replication=options.replication, collateral=options.collateral,
        apply_deadline=now + options.apply_window, deadline=now + options.deadline,
        token=options.token, min_hardware_class=options.min_hardware_class,
        compute_units=compute_units(spec), min_reputation=options.min_reputation,
        strategy=str(client.contract(STRATEGY_CONTRACTS[options.strategy]).address))
    task_id, _ = market.publish(request)
    if book is not None:  # a parallel task: its k nodes train it in rounds recorded by the book
        assert spec.parallel is not None
        book.open(task_id, spec.parallel.nodes, spec.parallel.rounds, duration)
    return task_id, spec_uri


def check_funds(client: ChainClient, token: str, budget: int) -> None:
    """Raises PublishError when the signer holds less `token` (ETH: its address's balance) than
    `budget`, before anything is stored or sent."""
    if int(token, 16) == 0:
        held, name, decimals = int(client.w3.eth.get_balance(client.address)), "ETH", 18
    else:
        erc20 = client.at("NNToken", token)  # any ERC-20 ABI will do
        held = int(erc20.functions.balanceOf(client.address).call())
        name, decimals = str(erc20.functions.symbol().call()), int(erc20.functions.decimals().call())
    if held < budget:
        raise PublishError(f"the budget ({_whole(budget, decimals)} {name}) is more than {client.address} holds "
                           f"({_whole(held, decimals)} {name})")


def _whole(amount: int, decimals: int) -> str:
    """`amount` smallest units as a decimal number of whole tokens ('1.5')."""
    text = f"{Decimal(amount).scaleb(-decimals):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def published_spec(market: Market, store: Store, task_id: int) -> tuple[str, TaskSpec]:
    """A published task's spec URI and spec, read from storage and checked against the task's
    on-chain spec digest (TaskSpecError when the stored spec is not the one the task committed to)."""
    spec_uri = str(market.published_event(task_id)["specURI"])
    spec = parse_spec(store.get_bytes(spec_uri), source=f"task {task_id}'s spec")
    if spec_digest(spec) != market.task(task_id).spec_digest:
        raise TaskSpecError(f"task {task_id}'s stored spec at {spec_uri} does not match its on-chain digest")
    return spec_uri, spec
