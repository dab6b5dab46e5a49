"""Following the chain for a daemon: one loop, one cursor, events handed to a table of handlers.

Both daemons read the protocol's events the same way: from their persisted position (the
`Cursor`) up to the head less `confirmations`, in bounded ranges; each event goes to the handler
registered for its (contract, event name), and the cursor moves past the range once it has taken
its events in. Before each read the follower checks that the newest head the cursor remembers is
still on the chain; when it is not (a reorganisation deeper than `confirmations`), it finds the
newest remembered head that is, and hands that to the daemon's reorganisation policy (the oracle
rebuilds its index, the worker rewinds and reconciles the tasks it touched).

`run` is the daemons' loop: one round after another until stopped, with back-off while the chain
(or a storage service) is away and the daemon kept alive through an unexpected error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Protocol

from web3.exceptions import BlockNotFound

from nnc.chain.client import TRANSIENT_ERRORS, ChainClient
from nnc.chain.events import ChainEvent, EventReader
from nnc.daemon import Backoff, StopFlag
from nnc.errors import ContractRevertError, NNCError, ServiceUnavailableError
from nnc.metrics import DaemonMetrics

RETRIED: tuple[type[Exception], ...] = (*TRANSIENT_ERRORS, ServiceUnavailableError)
"""A handler's failures that stop the range: it is read and handled again on the next round."""

EventKey = tuple[str, str]
"""(contract name, event name), e.g. ("TaskMarket", "TaskAssigned")."""

EventHandler = Callable[[ChainEvent], None]


class Cursor(Protocol):
    """A follower's persisted position: the last block whose events were taken in, and the
    hashes of heads it reached (what a reorganisation is noticed by)."""

    @property
    def last_block(self) -> int: ...

    def heads(self) -> Mapping[int, str]:
        """Block number -> hash of the remembered heads (empty: none to check)."""
        ...

    def ingest(self, events: Iterable[ChainEvent], up_to_block: int, block_hash: str | None = None) -> int:
        """Takes in every event of a range (each already handled as `events` is drawn) and moves
        the position to `up_to_block`, whose hash is `block_hash`; returns how many were new."""
        ...


@dataclass(frozen=True)
class Reorganisation:
    """The newest remembered head is no longer on the chain."""

    lost_block: int
    rewind_to: int
    """The newest remembered head still on the chain; the block before the deployment's first
    when none is (everything must be read again)."""
    every_head_lost: bool


class ChainFollower:
    """Reads a daemon's new confirmed events into its cursor and handlers; see the module doc.

    `log` and `tag` are the daemon's: the follower's lines read as the daemon's own. `context`
    gives the log context of an event's task while its handler runs; `task_states`, when given,
    sets the `nnc_tasks` gauge after each read.
    """

    def __init__(self, client: ChainClient, cursor: Cursor, metrics: DaemonMetrics, *, confirmations: int,
                 log_range: int, on_reorganisation: Callable[[Reorganisation], None], log: logging.Logger,
                 tag: str, handlers: Mapping[EventKey, EventHandler] | None = None,
                 context: Callable[[int | None], AbstractContextManager[None]] | None = None,
                 task_states: Callable[[], Iterable[str]] | None = None) -> None:
        assert client.deployment is not None
        self.client = client
        self.cursor = cursor
        self.metrics = metrics
        self.confirmations = confirmations
        self.start_block = client.deployment.start_block
        self.reader = EventReader(client.w3, client.artifacts, client.deployment, log_range)
        self.on_reorganisation = on_reorganisation
        self.log = log
        self.tag = tag
        self.handlers: Mapping[EventKey, EventHandler] = handlers or {}
        self.context = context or (lambda task_id: nullcontext())
        self.task_states = task_states

    def sync(self) -> int:
        """Takes in every confirmed block not taken in yet, after handing a reorganisation to the
        daemon's policy; returns the number of new events."""
        reorganisation = self.reorganisation()
        if reorganisation is not None:
            self.on_reorganisation(reorganisation)
        head = self.client.block_number() - self.confirmations
        start = self.cursor.last_block + 1
        if head < start:
            return 0
        new = self.cursor.ingest(self._handled(self.reader.read(start, head)), head, self.block_hash(head))
        self.metrics.events.inc(new)
        self.metrics.last_block.set(head)
        if self.task_states is not None:
            self.metrics.set_task_states(self.task_states())
        return new

    def _handled(self, events: Iterable[ChainEvent]) -> Iterator[ChainEvent]:
        """Hands each event to its handler. A transient failure (the chain or storage away) stops
        the range: it is read and handled again on the next round (handlers are safe to run twice).
        Any other `NNCError` is the answer for that event (a lost race's revert, a refused task):
        logged, and the range goes on, so one event never makes the whole batch be handled again."""
        for event in events:
            handler = self.handlers.get((event.contract, event.name))
            if handler is not None:
                with self.context(event.task_id):
                    try:
                        handler(event)
                    except RETRIED:
                        raise
                    except ContractRevertError as exc:
                        self.log.info("%s: %s of block %d refused by the chain (%s): moving on", self.tag,
                                      event.name, event.block_number, exc)
                    except NNCError:
                        self.log.exception("%s: handling %s of block %d failed: moving on", self.tag, event.name,
                                           event.block_number)
            yield event

    def reorganisation(self) -> Reorganisation | None:
        """None while the newest remembered head is on the chain; else where to rewind to."""
        known = self.cursor.heads()
        if not known:
            return None
        newest = max(known)
        if self.block_hash(newest) == known[newest]:
            return None
        for block in sorted(known, reverse=True):
            if self.block_hash(block) == known[block]:
                return Reorganisation(lost_block=newest, rewind_to=block, every_head_lost=False)
        return Reorganisation(lost_block=newest, rewind_to=self.start_block - 1, every_head_lost=True)

    def block_hash(self, number: int) -> str | None:
        """The hash of block `number` on the chain now (None: the chain is not that long)."""
        try:
            block = self.client.w3.eth.get_block(number)
        except BlockNotFound:
            return None
        return "0x" + bytes(block["hash"]).hex() if block and block.get("hash") else None

    def run(self, stop: StopFlag, round_: Callable[[StopFlag], None], poll_interval: float) -> None:
        """Runs `round_` (the daemon's sync and work) every `poll_interval` seconds until `stop`;
        a transient failure is waited out with back-off, any other `NNCError` logged and retried."""
        backoff = Backoff()
        while not stop.is_set:
            try:
                round_(stop)
                backoff.succeeded()
                delay = poll_interval
            except TRANSIENT_ERRORS as exc:
                delay = backoff.failed()
                self.metrics.rpc_errors.inc()
                self.log.warning("%s: chain unavailable (%s); retrying in %.1f s", self.tag, exc, delay)
            except NNCError:  # a bug or an unexpected answer: report it, keep the daemon alive
                delay = backoff.failed()
                self.log.exception("%s: step failed; retrying in %.1f s", self.tag, delay)
            stop.sleep(delay)
