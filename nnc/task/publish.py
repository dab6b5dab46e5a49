"""Publishing a task as a requester: validate, store the spec, escrow the budget, publish."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from web3 import Web3

from nnc.chain.client import ChainClient
from nnc.chain.deployment import STRATEGY_CONTRACTS
from nnc.chain.market import Market, PublishRequest
from nnc.chain.types import ETH
from nnc.errors import NNCError, TaskSpecError
from nnc.storage import Store
from nnc.task.cost import compute_units
from nnc.task.execution import mode_problem
from nnc.task.spec import TaskSpec, canonical_json, parse_spec, spec_digest

MAX_REPLICATION = 8


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


def publish_task(client: ChainClient, store: Store, spec: TaskSpec, options: PublishOptions) -> tuple[int, str]:
    """Stores the canonical spec, then publishes and escrows; returns (task id, spec URI).

    Options are checked before anything is stored or sent (the execution window against the
    market's minimum too, and the replication against the spec's device: `nnc.task.execution`);
    the contract checks the chain's part again.
    """
    options.check()
    problem = mode_problem(spec, options.replication)
    if problem is not None:
        raise PublishError(f"{spec.name}: {problem}")
    market = Market(client)
    need = market.params().min_execution_window
    if options.deadline - options.apply_window < need:
        raise PublishError(f"the deadline ({options.deadline} s) must leave at least the market's minimum execution "
                           f"window ({need} s) after the apply window ({options.apply_window} s)")
    data = canonical_json(spec)
    spec_uri = store.put_bytes(data)
    now = client.block_timestamp()
    request = PublishRequest(
        spec_digest=spec_digest(spec), spec_uri=spec_uri, budget=options.budget,
        replication=options.replication, collateral=options.collateral,
        apply_deadline=now + options.apply_window, deadline=now + options.deadline,
        token=options.token, min_hardware_class=options.min_hardware_class,
        compute_units=compute_units(spec), min_reputation=options.min_reputation,
        strategy=str(client.contract(STRATEGY_CONTRACTS[options.strategy]).address))
    task_id, _ = market.publish(request)
    return task_id, spec_uri


def published_spec(market: Market, store: Store, task_id: int) -> tuple[str, TaskSpec]:
    """A published task's spec URI and spec, read from storage and checked against the task's
    on-chain spec digest (TaskSpecError when the stored spec is not the one the task committed to)."""
    spec_uri = str(market.published_event(task_id)["specURI"])
    spec = parse_spec(store.get_bytes(spec_uri), source=f"task {task_id}'s spec")
    if spec_digest(spec) != market.task(task_id).spec_digest:
        raise TaskSpecError(f"task {task_id}'s stored spec at {spec_uri} does not match its on-chain digest")
    return spec_uri, spec
