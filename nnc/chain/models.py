"""Typed access to the ModelRegistry contract: the model library.

A settled, accepted task's requester lists its model (`register_from_task`): the chain's facts
(spec and model digests, quality score) are read by the contract from the market, the rest comes
from `ModelMetadata`. Anyone may list a model trained elsewhere (`share`), unverified until the
requester of a task that evaluated it calls `verify_with_task`. The oracle (REGISTRAR_ROLE) lists
every accepted task's model itself (`register_task`); whoever lists a task first wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from web3 import Web3
from web3.logs import DISCARD
from web3.types import TxReceipt

from nnc.chain.client import ChainClient
from nnc.chain.model_domains import DOMAINS as DOMAINS
from nnc.chain.model_domains import check_domain
from nnc.errors import ChainError


class Visibility(IntEnum):
    """Mirrors `IModelRegistry.Visibility` (same order): who may fetch a model's file."""

    PUBLIC = 0
    SEALED = 1  # encrypted to its owners' keys off-chain


@dataclass(frozen=True)
class ModelMetadata:
    """`IModelRegistry.Metadata`: what the lister states about a model (the chain cannot see it)."""

    model_uri: str
    licence: str  # an SPDX licence identifier, e.g. "Apache-2.0"
    framework: str = ""
    metric: str = ""  # the name of the agreed metric, e.g. "accuracy"
    spec_uri: str = ""
    program_digest: bytes = b"\x00" * 32
    program_uri: str = ""
    dataset_uri: str = ""
    domain: str = ""  # one of DOMAINS, or empty

    def as_tuple(self) -> tuple[Any, ...]:
        if len(self.program_digest) != 32:
            raise ChainError(f"program_digest must be 32 bytes, got {len(self.program_digest)}")
        try:
            check_domain(self.domain)
        except ValueError as exc:
            raise ChainError(str(exc)) from None
        return (self.model_uri, self.licence, self.framework, self.metric, self.spec_uri, self.program_digest,
                self.program_uri, self.dataset_uri, self.domain)

    @classmethod
    def from_tuple(cls, m: Any) -> ModelMetadata:
        return cls(str(m[0]), str(m[1]), str(m[2]), str(m[3]), str(m[4]), bytes(m[5]), str(m[6]), str(m[7]),
                   str(m[8]))


@dataclass(frozen=True)
class ModelView:
    """`IModelRegistry.Model` as read from the chain."""

    model_id: int
    task_id: int  # the task that trained it; 0: shared from outside
    verified_by: int  # the task that trained or evaluated it; 0: unverified
    parent_id: int  # 0: none
    model_digest: bytes
    spec_digest: bytes
    metric_value: int  # basis points, from the market's quality score
    scored_by: int  # ITaskMarket.QualitySource: 0 none, 1 requester, 2 oracle, 3 arbitration
    verified: bool
    visibility: Visibility
    registrant: str
    registered_at: int
    metadata: ModelMetadata

    @classmethod
    def from_tuple(cls, model_id: int, m: Any) -> ModelView:
        return cls(model_id, int(m[0]), int(m[1]), int(m[2]), bytes(m[3]), bytes(m[4]), int(m[5]), int(m[6]),
                   bool(m[7]), Visibility(m[8]), str(m[9]), int(m[10]), ModelMetadata.from_tuple(m[11]))


@dataclass(frozen=True)
class ModelOwner:
    """`IModelRegistry.Owner`: an owner and its share in basis points (a model's shares sum to 10,000)."""

    account: str
    share_bps: int


class Models:
    """The ModelRegistry as seen by one account."""

    def __init__(self, client: ChainClient) -> None:
        self.client = client
        self.contract = client.contract("ModelRegistry")

    def register_from_task(self, task_id: int, metadata: ModelMetadata, parent_id: int = 0,
                           visibility: Visibility = Visibility.PUBLIC) -> int:
        """Lists the model of a settled, accepted task (its requester only); returns the model id."""
        receipt = self.client.transact(
            self.contract.functions.registerFromTask(task_id, metadata.as_tuple(), parent_id, int(visibility)),
            context=f"register the model of task {task_id}")
        return self._registered_id(receipt, f"task {task_id}")

    def register_task(self, task_id: int, metadata: ModelMetadata, parent_id: int = 0,
                      visibility: Visibility = Visibility.PUBLIC) -> int:
        """Lists the model of a settled, accepted task for its requester (REGISTRAR_ROLE: the
        oracle), owned by the requester or a co-funding pool's funders; returns the model id."""
        receipt = self.client.transact(
            self.contract.functions.registerTask(task_id, metadata.as_tuple(), parent_id, int(visibility)),
            context=f"list the model of task {task_id}")
        return self._registered_id(receipt, f"task {task_id}")

    def share(self, model_digest: bytes, metadata: ModelMetadata, parent_id: int = 0,
              visibility: Visibility = Visibility.PUBLIC) -> int:
        """Lists a model trained elsewhere, unverified and owned by this account; returns its id."""
        receipt = self.client.transact(
            self.contract.functions.shareModel(model_digest, metadata.as_tuple(), parent_id, int(visibility)),
            context=f"share model {model_digest.hex()}")
        return self._registered_id(receipt, f"model {model_digest.hex()}")

    def verify_with_task(self, model_id: int, task_id: int) -> TxReceipt:
        """Verifies a shared model by the settled, accepted task that evaluated it (its requester only)."""
        return self.client.transact(self.contract.functions.verifyWithTask(model_id, task_id),
                                    context=f"verify model {model_id} with task {task_id}")

    def set_visibility(self, model_id: int, visibility: Visibility) -> TxReceipt:
        return self.client.transact(self.contract.functions.setVisibility(model_id, int(visibility)),
                                    context=f"set the visibility of model {model_id}")

    def model(self, model_id: int) -> ModelView:
        return ModelView.from_tuple(model_id, self.client.call(self.contract.functions.model(model_id),
                                                               context=f"model {model_id}"))

    def owners_of(self, model_id: int) -> list[ModelOwner]:
        owners = self.client.call(self.contract.functions.ownersOf(model_id), context=f"owners of model {model_id}")
        return [ModelOwner(str(o[0]), int(o[1])) for o in owners]

    def share_of(self, model_id: int, account: str) -> int:
        """`account`'s share of the model in basis points (0: not an owner)."""
        return int(self.client.call(self.contract.functions.shareOf(model_id, Web3.to_checksum_address(account)),
                                    context=f"share of model {model_id}"))

    def model_of_task(self, task_id: int) -> int | None:
        """The model `task_id` trained or verified, or None."""
        model_id = int(self.contract.functions.modelOfTask(task_id).call())
        return model_id or None

    def models_of(self, account: str) -> list[int]:
        """Every model `account` was made an owner of."""
        return [int(i) for i in self.contract.functions.modelsOf(Web3.to_checksum_address(account)).call()]

    def children_of(self, model_id: int) -> list[int]:
        return [int(i) for i in self.client.call(self.contract.functions.childrenOf(model_id),
                                                 context=f"children of model {model_id}")]

    def lineage(self, model_id: int, max_depth: int = 64) -> list[int]:
        """The model's ancestors, parent first, at most `max_depth` of them."""
        return [int(i) for i in self.client.call(self.contract.functions.lineage(model_id, max_depth),
                                                 context=f"lineage of model {model_id}")]

    def task_owners(self, task_id: int) -> list[ModelOwner]:
        """Who a task's model belongs to (and who paid for it): its requester, or a co-funding
        pool's funders by contribution."""
        owners = self.client.call(self.contract.functions.taskOwners(task_id), context=f"owners of task {task_id}")
        return [ModelOwner(str(o[0]), int(o[1])) for o in owners]

    def co_funding_factory(self) -> str | None:
        """The factory whose pools count as co-funded requesters, or None."""
        factory = str(self.contract.functions.coFundingFactory().call())
        return None if int(factory, 16) == 0 else factory

    def count(self) -> int:
        return int(self.contract.functions.modelCount().call())

    def _registered_id(self, receipt: TxReceipt, what: str) -> int:
        events = self.contract.events.ModelRegistered().process_receipt(receipt, errors=DISCARD)
        if not events:
            raise ChainError(f"listing {what}: no ModelRegistered event in the receipt")
        return int(events[0]["args"]["modelId"])
