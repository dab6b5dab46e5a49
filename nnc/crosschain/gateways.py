"""Typed clients of the cross-chain gateways (`contracts/src/crosschain/`): `SpokeGateway` on a
spoke chain (escrow a budget and publish, reclaim, claim) and `HomeGateway` on the home chain
(the bridged task's record, the settlement relay). Each wraps one `ChainClient` on its own chain.

A PUBLISH's `spec` is `abi.encode(ITaskMarket.TaskParams)` (`encode_task_params`), its type read
from the compiled `HomeGateway.decodeTaskParams`; the home gateway replaces its token and budget
by the native coin and the escrowed budget. Its times are the HOME chain's.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_abi.abi import encode
from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from nnc.chain.artifacts import Artifacts
from nnc.chain.client import ChainClient
from nnc.chain.market import PublishRequest
from nnc.chain.types import ETH
from nnc.errors import ChainError

REFUSED = 2**256 - 1
"""`HomeGateway.taskOf` of a PUBLISH that was refused."""


class EscrowStatus(IntEnum):
    """`SpokeGateway.Status`."""

    NONE = 0
    PENDING = 1
    ACKNOWLEDGED = 2
    SETTLED = 3
    RECLAIMED = 4


class BridgedStatus(IntEnum):
    """`HomeGateway.BridgedStatus`."""

    NONE = 0
    PUBLISHED = 1
    RELAYED = 2


@dataclass(frozen=True)
class EscrowView:
    escrow_id: int
    payer: str
    deadline: int
    status: EscrowStatus
    budget: int
    message_id: str


@dataclass(frozen=True)
class Published:
    """What `SpokeGateway.publish` did: the escrow, its budget (value minus the Hyperlane fee),
    the fee and the PUBLISH message's id."""

    escrow_id: int
    budget: int
    fee: int
    deadline: int
    message_id: str
    receipt: TxReceipt


@dataclass(frozen=True)
class BridgedView:
    task_id: int
    origin: int
    status: BridgedStatus
    payer: str
    account: str
    backer: str
    spoke: str
    escrow_id: int
    budget: int


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def task_params_type(artifacts: Artifacts) -> str:
    """The ABI type of `ITaskMarket.TaskParams` as a tuple, from the compiled home gateway."""
    function = next(item for item in artifacts.get("HomeGateway").abi
                    if item.get("type") == "function" and item.get("name") == "decodeTaskParams")
    components = function["outputs"][0]["components"]
    return "(" + ",".join(str(c["type"]) for c in components) + ")"


def encode_task_params(artifacts: Artifacts, request: PublishRequest, strategy: str) -> bytes:
    """A PUBLISH spec: `request` as `abi.encode(TaskParams)` (its budget and token are
    overwritten at home; `strategy` is the home chain's strategy contract)."""
    params = (request.spec_digest, request.spec_uri, Web3.to_checksum_address(ETH), request.budget,
              request.replication, Web3.to_checksum_address(strategy), request.collateral,
              request.min_hardware_class, request.apply_deadline, request.deadline, request.compute_units,
              request.min_reputation)
    return encode([task_params_type(artifacts)], [params])


class SpokeGateway:
    """The spoke gateway at `address`, as `client`'s account sees it."""

    def __init__(self, client: ChainClient, address: str) -> None:
        self.client = client
        self.contract: Contract = client.at("SpokeGateway", address)

    @property
    def address(self) -> str:
        return str(self.contract.address)

    def quote_publish(self, spec: bytes) -> int:
        return int(self.client.call(self.contract.functions.quotePublish(spec), "quote publish"))

    def publish(self, spec: bytes, budget: int) -> Published:
        """Escrows `budget` (plus the Hyperlane fee, quoted first) and sends PUBLISH home."""
        fee = self.quote_publish(spec)
        receipt = self.client.transact(self.contract.functions.publish(spec), value=budget + fee,
                                       context="publish on the spoke")
        events = self.contract.events.Published().process_receipt(receipt, errors=DISCARD)
        if not events:
            raise ChainError("publish on the spoke: no Published event in the receipt")
        args = events[0]["args"]
        return Published(int(args["escrowId"]), int(args["budget"]), fee, int(args["deadline"]),
                         _hex(args["messageId"]), receipt)

    def escrow(self, escrow_id: int) -> EscrowView:
        payer, deadline, status, budget, message_id = self.contract.functions.escrows(escrow_id).call()
        return EscrowView(escrow_id, str(payer), int(deadline), EscrowStatus(status), int(budget), _hex(message_id))

    def credits(self, account: str) -> int:
        return int(self.contract.functions.credits(Web3.to_checksum_address(account)).call())

    def reclaim(self, escrow_id: int) -> TxReceipt:
        return self.client.transact(self.contract.functions.reclaim(escrow_id), context=f"reclaim escrow {escrow_id}")

    def claim(self) -> TxReceipt:
        return self.client.transact(self.contract.functions.claim(), context="claim on the spoke")

    def events(self, name: str, from_block: int = 0, **filters: Any) -> list[dict[str, Any]]:
        logs = getattr(self.contract.events, name)().get_logs(from_block=from_block, argument_filters=filters)
        return [dict(log["args"]) for log in logs]


class HomeGateway:
    """The home gateway at `address`, as `client`'s account sees it."""

    def __init__(self, client: ChainClient, address: str) -> None:
        self.client = client
        self.contract: Contract = client.at("HomeGateway", address)

    @property
    def address(self) -> str:
        return str(self.contract.address)

    def bridged(self, task_id: int) -> BridgedView:
        origin, status, payer, account, backer, spoke, escrow_id, budget = (
            self.contract.functions.bridged(task_id).call())
        return BridgedView(task_id, int(origin), BridgedStatus(status), str(payer), str(account), str(backer),
                           _hex(spoke), int(escrow_id), int(budget))

    def task_of(self, origin: int, escrow_id: int) -> int | None:
        """The home task of an escrow; None while its PUBLISH was not delivered or when refused
        (`refused`)."""
        task_id = int(self.contract.functions.taskOf(origin, escrow_id).call())
        return None if task_id in (0, REFUSED) else task_id

    def refused(self, origin: int, escrow_id: int) -> bool:
        return int(self.contract.functions.taskOf(origin, escrow_id).call()) == REFUSED

    def liquidity(self) -> int:
        return int(self.contract.functions.liquidity().call())

    def paid_on_home(self, node: str) -> bool:
        """Whether `node` asked to be paid on the home chain for bridged tasks (default: on each
        task's origin chain)."""
        return bool(self.contract.functions.paidOnHome(Web3.to_checksum_address(node)).call())

    def set_paid_on_home(self, on_home: bool) -> TxReceipt:
        """Pays this account's future payouts of bridged tasks on home (`on_home`) or on each
        task's origin chain."""
        where = "the home chain" if on_home else "each task's origin chain"
        return self.client.transact(self.contract.functions.setPaidOnHome(on_home),
                                    context=f"be paid on {where}")

    def routed_payouts(self, task_id: int) -> list[tuple[str, int]]:
        """(node, amount) of each payout of bridged task `task_id` owed on its origin chain."""
        return [(str(node), int(amount)) for node, amount in self.contract.functions.routedPayouts(task_id).call()]

    def fund(self, amount: int) -> TxReceipt:
        return self.client.transact(self.contract.functions.fund(), value=amount, context="fund the home gateway")

    def quote_relay(self, task_id: int) -> int:
        return int(self.client.call(self.contract.functions.quoteRelay(task_id), f"quote relay of task {task_id}"))

    def relay_settlement(self, task_id: int) -> tuple[str, TxReceipt]:
        """Relays a final task's settlement to its spoke (paying `quote_relay`); returns the
        SETTLE message's id."""
        fee = self.quote_relay(task_id)
        receipt = self.client.transact(self.contract.functions.relaySettlement(task_id), value=fee,
                                       context=f"relay settlement of task {task_id}")
        events = self.contract.events.SettlementRelayed().process_receipt(receipt, errors=DISCARD)
        if not events:
            raise ChainError(f"relay settlement of task {task_id}: no SettlementRelayed event in the receipt")
        return _hex(events[0]["args"]["messageId"]), receipt

    def events(self, name: str, from_block: int = 0, to_block: int | str = "latest",
               **filters: Any) -> list[dict[str, Any]]:
        logs = getattr(self.contract.events, name)().get_logs(from_block=from_block, to_block=to_block,
                                                             argument_filters=filters)
        return [dict(log["args"]) for log in logs]
