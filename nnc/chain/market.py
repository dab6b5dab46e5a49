"""Typed access to the TaskMarket contract: the calls that CLI, daemons and API share."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from web3 import Web3
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from nnc.chain.client import ChainClient
from nnc.chain.deployment import STRATEGY_CONTRACTS
from nnc.chain.types import (
    ETH,
    AbandonReason,
    Bond,
    MarketParams,
    ParticipationView,
    SettlementParams,
    Snapshot,
    TaskStatus,
    TaskView,
)
from nnc.errors import ChainError, ContractRevertError
from nnc.zk import CommitmentProof, prove_commitment, task_key

log = logging.getLogger(__name__)

# Task statuses in which committed results can be revealed (`revealResult`).
REVEAL_STATUSES = frozenset({TaskStatus.SUBMITTED, TaskStatus.VERIFYING, TaskStatus.DISPUTED})

@dataclass(frozen=True)
class PublishRequest:
    spec_digest: bytes
    spec_uri: str
    budget: int
    replication: int
    collateral: int
    apply_deadline: int
    deadline: int
    token: str = ETH
    compute_units: int = 1
    strategy: str | None = None  # default: the deployment's first-come strategy
    min_hardware_class: int = 0
    min_reputation: int = 0


class Market:
    """The TaskMarket as seen by one account."""

    def __init__(self, client: ChainClient) -> None:
        self.client = client
        self.contract = client.market
        self._config: Contract | None = None
        self._chain_id: int | None = None

    @property
    def config(self) -> Contract:
        """The MarketConfig the market reads its parameters and allow-lists from."""
        if self._config is None:
            self._config = self.client.at("MarketConfig", self.contract.functions.config().call())
        return self._config

    # -- writes ----------------------------------------------------------------------------

    def publish(self, req: PublishRequest) -> tuple[int, TxReceipt]:
        """Publishes (approving the ERC-20 budget first when needed); returns the task id."""
        strategy = req.strategy or self.client.contract(STRATEGY_CONTRACTS["first-come"]).address
        params = (req.spec_digest, req.spec_uri, Web3.to_checksum_address(req.token), req.budget,
                  req.replication, Web3.to_checksum_address(strategy), req.collateral,
                  req.min_hardware_class, req.apply_deadline, req.deadline, req.compute_units,
                  req.min_reputation)
        value = req.budget if int(req.token, 16) == 0 else 0
        if value == 0 and self.config.functions.isTokenAllowed(Web3.to_checksum_address(req.token)).call():
            erc20 = self.client.at("NNToken", req.token)  # any ERC-20 ABI will do for approve
            self.client.transact(erc20.functions.approve(self.contract.address, req.budget),
                                 context="approve budget")
        receipt = self.client.transact(self.contract.functions.publish(params), value=value, context="publish")
        events = self.contract.events.TaskPublished().process_receipt(receipt, errors=DISCARD)
        if not events:
            raise ChainError("publish: no TaskPublished event in the receipt")
        return int(events[0]["args"]["taskId"]), receipt

    def cancel(self, task_id: int) -> TxReceipt:
        return self.client.transact(self.contract.functions.cancel(task_id), context=f"cancel task {task_id}")

    def apply(self, task_id: int) -> TxReceipt:
        return self.client.transact(self.contract.functions.applyForTask(task_id), context=f"apply task {task_id}")

    def assign(self, task_id: int) -> TxReceipt:
        return self.client.transact(self.contract.functions.assign(task_id), context=f"assign task {task_id}")

    def post_snapshot(self, task_id: int, step: int, chain_head: bytes) -> TxReceipt:
        return self.client.transact(self.contract.functions.postSnapshot(task_id, step, chain_head),
                                    context=f"snapshot task {task_id} step {step}")

    def report_quality(self, task_id: int, score: int, accepted: bool = True) -> TxReceipt:
        """Reports a submitted task's quality score (0..10000) and whether its result meets the
        spec's acceptance threshold (a rejected result is paid its compute only)."""
        return self.client.transact(self.contract.functions.reportQuality(task_id, score, accepted),
                                    context=f"report quality of task {task_id}")

    def rejection_stands(self, task_id: int) -> bool:
        """Whether a report of "not accepted" for `task_id` would stand at settlement: always,
        unless the requester committed hidden labels in the acceptance book
        (`nnc.chain.acceptance`); then only once "not met" is proven for it and "met" is not."""
        book = str(self.config.functions.acceptanceBook().call())
        if int(book, 16) == 0:
            return True
        return bool(self.client.at("AcceptanceBook", book).functions.mayReject(task_id).call())

    def submit(self, task_id: int, result_digest: bytes) -> TxReceipt:
        """Commits a plain result digest (tasks without result proofs); the URI is revealed later."""
        return self.client.transact(self.contract.functions.submitResult(task_id, result_digest),
                                    context=f"submit task {task_id}")

    def submit_proof(self, task_id: int, proof: CommitmentProof) -> TxReceipt:
        """Posts the agreement tag and its proof (`submitProof`): stored and published, verified
        on-chain only if someone challenges it (`nnc.chain.result_proofs`)."""
        fn = self.contract.functions.submitProof(task_id, proof.agreement_tag, proof.proof.calldata())
        return self.client.transact(fn, context=f"submit proof for task {task_id}")

    def reveal(self, task_id: int, result_uri: str) -> TxReceipt:
        """Publishes where this node's model lives (`revealResult`): possible once every active
        result of the task is committed; a winner that never reveals is not paid."""
        return self.client.transact(self.contract.functions.revealResult(task_id, result_uri),
                                    context=f"reveal result of task {task_id}")

    def revealable(self, task_id: int, node: str | None = None) -> bool:
        """Whether `node` (default: this account) can reveal its result of `task_id` now: every
        active result is committed, its own is, it is still in the task and has not revealed."""
        if self.task(task_id).status not in REVEAL_STATUSES:
            return False
        p = self.participation(task_id, node or self.client.address)
        return p.submitted and p.bond == Bond.LOCKED and not p.revealed

    def reveal_if_due(self, task_id: int, result_uri: str) -> TxReceipt | None:
        """Reveals this node's result when it can (asks the chain first: safe to repeat)."""
        if not self.revealable(task_id):
            return None
        return self.reveal(task_id, result_uri)

    def submit_result(self, task_id: int, result_digest: bytes, result_uri: str,
                      on_stage: Callable[[str], None] | None = None) -> TxReceipt:
        """Submits a result the way the market takes it: a zero-knowledge proof of the agreement
        tag when the task's results are proven, the plain digest otherwise. The market takes
        commitments first and URIs once every replica committed: when this result was the last
        one in, `result_uri` is revealed at once; otherwise the caller reveals it later
        (`reveal_if_due`). `on_stage` hears "proving", "sending" and "revealing"."""
        key = self.agreement_key(task_id)
        if key is None:
            if on_stage is not None:
                on_stage("sending")
            receipt = self.submit(task_id, result_digest)
        else:
            if on_stage is not None:
                on_stage("proving")
            proof = prove_commitment(key, self.client.address, result_digest)
            if on_stage is not None:
                on_stage("sending")
            receipt = self.submit_proof(task_id, proof)
        if on_stage is not None:
            on_stage("revealing")
        try:
            self.reveal_if_due(task_id, result_uri)
        except ContractRevertError as exc:  # the commitment stands: the reveal is retried later
            log.warning("task %d: result committed, reveal not possible now: %s", task_id, exc)
        return receipt

    def settle(self, task_id: int) -> TxReceipt:
        return self.client.transact(self.contract.functions.settle(task_id), context=f"settle task {task_id}")

    def expire(self, task_id: int) -> TxReceipt:
        return self.client.transact(self.contract.functions.expire(task_id), context=f"expire task {task_id}")

    def abandon(self, task_id: int, reason: AbandonReason) -> TxReceipt:
        """Gives up a task this account is assigned to and has not submitted: this node drops
        out and `abandon_penalty_bps` of its collateral goes to the treasury; the other assignees
        go on (the task fails, refunding the budget, only when none is left)."""
        return self.client.transact(self.contract.functions.abandon(task_id, int(reason)),
                                    context=f"abandon task {task_id} ({reason.name.lower()})")

    def release_frozen(self, task_id: int, node: str) -> TxReceipt:
        """Releases a frozen node's collateral once the task's freeze window closed (anyone may)."""
        return self.client.transact(self.contract.functions.releaseFrozen(task_id, Web3.to_checksum_address(node)),
                                    context=f"release frozen {node[:10]} of task {task_id}")

    def claim(self, token: str = ETH) -> TxReceipt:
        return self.client.transact(self.contract.functions.claim(Web3.to_checksum_address(token)),
                                    context="claim")

    # -- reads -----------------------------------------------------------------------------

    def task(self, task_id: int) -> TaskView:
        view = TaskView.from_tuple(task_id, self.contract.functions.getTask(task_id).call())
        if view.status == TaskStatus.NONE:
            raise ChainError(f"unknown task {task_id} (tasks are numbered 1..{self.task_count()})")
        return view

    def task_count(self) -> int:
        return int(self.contract.functions.taskCount().call())

    def assignees(self, task_id: int) -> list[str]:
        return list(self.contract.functions.assigneesOf(task_id).call())

    def applicants(self, task_id: int) -> list[str]:
        return list(self.contract.functions.applicantsOf(task_id).call())

    def latest_snapshot(self, task_id: int, node: str) -> Snapshot:
        step, head, posted_at = self.contract.functions.latestSnapshot(
            task_id, Web3.to_checksum_address(node)).call()
        return Snapshot(int(step), bytes(head), int(posted_at))

    def result_of(self, task_id: int, node: str) -> bytes:
        return bytes(self.contract.functions.resultOf(task_id, Web3.to_checksum_address(node)).call())

    def participation(self, task_id: int, node: str) -> ParticipationView:
        return ParticipationView.from_tuple(
            self.contract.functions.participationOf(task_id, Web3.to_checksum_address(node)).call())

    def proofs_enabled(self, task_id: int) -> bool:
        """Whether task `task_id`'s results must be submitted as zero-knowledge proofs
        (`submitProof`): the proof mode is fixed per task when it is published."""
        return self.task(task_id).proofs_enabled

    def statement_key(self, task_id: int) -> int:
        """The statement key of `task_id` on this chain and market (`ResultProofs.taskKey`): the
        first public input of its result proofs and of its agreement tags."""
        if self._chain_id is None:
            self._chain_id = int(self.client.w3.eth.chain_id)
        return task_key(self._chain_id, self.contract.address, task_id)

    def agreement_key(self, task_id: int) -> int | None:
        """What the agreement tags of `task_id` are keyed by (`nnc.zk.agreement_tag`), or None
        when the task takes plain digests."""
        return self.statement_key(task_id) if self.proofs_enabled(task_id) else None

    def proof_of(self, task_id: int, node: str) -> tuple[int, bytes] | None:
        """`node`'s agreement tag and stored proof hash while its posted proof may still be
        challenged (`ResultProofs.challenge`): it posted one, is still in the task, and the task
        is Assigned or Running, or Submitted before its challenge window closes. None otherwise."""
        p = self.participation(task_id, node)
        if not p.submitted or p.bond != Bond.LOCKED or not any(p.proof_hash):
            return None
        task = self.task(task_id)
        if task.status == TaskStatus.SUBMITTED:
            if self.client.block_timestamp() >= task.challenge_ends_at:
                return None
        elif task.status not in (TaskStatus.ASSIGNED, TaskStatus.RUNNING):
            return None
        return int.from_bytes(p.result_digest, "big"), p.proof_hash

    def result_proofs(self, task_id: int | None = None) -> str:
        """Address of the ResultProofs contract of task `task_id`, or (None) the one new tasks
        get (zero when proofs are off)."""
        if task_id is not None:
            return self.task(task_id).result_proofs
        return self.params().result_proofs

    def params(self) -> MarketParams:
        """Everything the market reads from its config (one call)."""
        return MarketParams.from_tuple(self.config.functions.params().call())

    def abandon_penalty_bps(self) -> int:
        """The share of its collateral, in basis points, that a node loses by `abandon`."""
        return self.params().abandon_penalty_bps

    def settlement_params(self) -> SettlementParams:
        return SettlementParams.from_tuple(self.config.functions.settlementParams().call())

    def token_value(self, token: str = ETH) -> int:
        """NNT-wei that 1e18 wei of `token` counts as (caps bonuses at the fee paid)."""
        return int(self.config.functions.tokenValue(Web3.to_checksum_address(token)).call())

    def is_token_allowed(self, token: str) -> bool:
        return bool(self.config.functions.isTokenAllowed(Web3.to_checksum_address(token)).call())

    def is_strategy_allowed(self, strategy: str) -> bool:
        return bool(self.config.functions.isStrategyAllowed(Web3.to_checksum_address(strategy)).call())

    def claimable(self, account: str, token: str = ETH) -> int:
        return int(self.contract.functions.claimable(Web3.to_checksum_address(token),
                                                     Web3.to_checksum_address(account)).call())

    def published_event(self, task_id: int) -> dict[str, Any]:
        """The TaskPublished arguments of a task (the spec URI lives only there)."""
        start = self.client.deployment.start_block if self.client.deployment else 0
        logs = self.contract.events.TaskPublished().get_logs(
            from_block=start, argument_filters={"taskId": task_id})
        if not logs:
            raise ChainError(f"no TaskPublished event for task {task_id}")
        return dict(logs[0]["args"])

    def revealed_results(self, task_id: int, node: str | None = None) -> list[tuple[str, str]]:
        """(node, result URI) of every `ResultRevealed` of a task (of `node` only, when given), in
        chain order: the market keeps result URIs only in these events."""
        start = self.client.deployment.start_block if self.client.deployment else 0
        filters: dict[str, Any] = {"taskId": task_id}
        if node is not None:
            filters["node"] = Web3.to_checksum_address(node)
        logs = self.contract.events.ResultRevealed().get_logs(from_block=start, argument_filters=filters)
        return [(str(log["args"]["node"]), str(log["args"]["resultURI"])) for log in logs]
