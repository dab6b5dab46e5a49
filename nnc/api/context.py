"""What the API's services share: a read-only chain client, the oracle's index kept in sync, storage.

The API never signs: its chain client has no account. Reads come from the oracle's SQLite index
(`nnc.oracle.index`), which the API brings up to the chain head before answering (the same
idempotent ingest the oracle uses, so an oracle daemon writing the same file is harmless); live
values the index does not hold (stake, reputation, claimable amounts) are read from the contracts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import current_app
from web3 import Web3

from nnc.chain.artifacts import Artifacts
from nnc.chain.client import ChainClient, connect_web3
from nnc.chain.deployment import STRATEGY_CONTRACTS, Deployment
from nnc.chain.events import EventReader
from nnc.errors import ConfigError
from nnc.oracle.daemon import open_index
from nnc.oracle.index import EventIndex
from nnc.settings import Settings
from nnc.storage import Store, store_from_settings

log = logging.getLogger(__name__)

CACHE_LIMIT = 50_000


@dataclass
class ApiContext:
    """Chain, index and storage for one deployment."""

    settings: Settings
    client: ChainClient
    store: Store
    public_rpc_url: str
    _sync_lock: threading.Lock = field(default_factory=threading.Lock)
    _senders: dict[str, str] = field(default_factory=dict)
    _timestamps: dict[int, int] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Settings, public_rpc_url: str | None = None,
                      store: Store | None = None) -> ApiContext:
        w3 = connect_web3(settings.rpc_url)
        deployment = Deployment.load(settings.resolved_deployment_file)
        if deployment.chain_id != w3.eth.chain_id:
            raise ConfigError(f"deployment {settings.resolved_deployment_file} is for chain {deployment.chain_id}, "
                              f"but {settings.rpc_url} is chain {w3.eth.chain_id}")
        client = ChainClient(w3, Artifacts(), deployment, account=None)
        return cls(settings, client, store or store_from_settings(settings), public_rpc_url or settings.rpc_url)

    @property
    def deployment(self) -> Deployment:
        assert self.client.deployment is not None
        return self.client.deployment

    @property
    def w3(self) -> Web3:
        return self.client.w3

    def has(self, contract: str) -> bool:
        return contract in self.deployment.addresses

    def contract_name(self, address: str) -> str | None:
        for name, known in self.deployment.addresses.items():
            if known.lower() == address.lower():
                return name
        return None

    def strategy_name(self, address: str) -> str | None:
        contract = self.contract_name(address)
        return next((k for k, v in STRATEGY_CONTRACTS.items() if v == contract), None)

    # -- the index -------------------------------------------------------------------------

    @contextmanager
    def index(self) -> Iterator[EventIndex]:
        """The index, synced to the confirmed head; one SQLite connection per call (threads). Opening
        one writes (the journal mode, the schema, the deployment key), so connections are opened one
        at a time: two requests opening theirs at once failed with "database is locked"."""
        with self._sync_lock:
            index = open_index(self.settings, self.client)
        try:
            self._sync(index)
            yield index
        finally:
            index.close()

    def _sync(self, index: EventIndex) -> None:
        with self._sync_lock:
            head = self.client.block_number() - self.settings.confirmations
            start = index.last_block + 1
            if head < start:
                return
            reader = EventReader(self.w3, self.client.artifacts, self.deployment, self.settings.log_range)
            new = index.ingest(reader.read(start, head), head)
            if new:
                log.info("api: indexed %d new events up to block %d", new, head)

    # -- chain facts the index does not hold ------------------------------------------------

    def sender_of(self, tx_hash: str) -> str:
        """The account that sent a transaction: the actor of the events it emitted."""
        if tx_hash not in self._senders:
            if len(self._senders) > CACHE_LIMIT:
                self._senders.clear()
            self._senders[tx_hash] = str(self.w3.eth.get_transaction(tx_hash)["from"])  # type: ignore[arg-type]
        return self._senders[tx_hash]

    def timestamp_of(self, block: int) -> int:
        if block not in self._timestamps:
            if len(self._timestamps) > CACHE_LIMIT:
                self._timestamps.clear()
            self._timestamps[block] = int(self.w3.eth.get_block(block)["timestamp"])
        return self._timestamps[block]


def current_context() -> ApiContext:
    """The context of the app handling the current request (`create_app` puts it there)."""
    context = current_app.extensions["nnc"]
    assert isinstance(context, ApiContext)
    return context
