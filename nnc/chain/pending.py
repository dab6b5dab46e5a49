"""Transactions sent without waiting for their receipts, checked later.

A daemon that sends permissionless pokes (the oracle) need not wait for each receipt: it sends
with `ChainClient.submit`, records the transaction here under the key of the work it does (a
task), and calls `check` at the start of its next round. Until then the key is `busy`, so the same
work is not sent twice while its transaction is pending. `check` reads each receipt once:

- mined and succeeded: forgotten;
- mined and reverted (a race lost to another sender, the task moved on meanwhile): the decoded
  revert is returned and the key freed, so the daemon derives the work again from chain state;
- not mined after `drop_after_s` (dropped, or queued behind a nonce gap): returned as dropped,
  the client's local nonce forgotten (read again from the node), and the key freed.

Nothing here is persisted: a daemon that restarts derives its work from chain state again (the
oracle's pokes are each checked by the contract, so one sent twice is a revert, not a double act).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Hashable
from dataclasses import dataclass

from nnc.chain.client import ChainClient, SentTransaction
from nnc.errors import ChainError

log = logging.getLogger(__name__)

DROP_AFTER_S = 60.0
"""Seconds a sent transaction may stay unmined before it counts as dropped."""


@dataclass(frozen=True)
class Outcome:
    """A transaction `check` found reverted (`error` the decoded revert) or dropped (`error` None)."""

    key: Hashable
    sent: SentTransaction
    error: ChainError | None

    @property
    def dropped(self) -> bool:
        return self.error is None


class PendingTransactions:
    """The transactions a client sent without waiting, by the key of the work each does."""

    def __init__(self, client: ChainClient, drop_after_s: float = DROP_AFTER_S) -> None:
        self.client = client
        self.drop_after_s = drop_after_s
        self._pending: dict[Hashable, list[SentTransaction]] = {}

    def add(self, key: Hashable, sent: SentTransaction) -> None:
        self._pending.setdefault(key, []).append(sent)

    def busy(self, key: Hashable) -> bool:
        """Whether a transaction sent for `key` is not known to be mined yet."""
        return key in self._pending

    def wait_mined(self, timeout: float = 30.0, every: float = 0.05) -> None:
        """Waits until every pending transaction is mined (receipts not checked: `check` does that
        next round) or `timeout` s have passed. For callers that step a daemon and then read the
        chain (tests): a node like anvil answers a send before it has mined the transaction."""
        end = time.monotonic() + timeout
        for sent in [s for pending in self._pending.values() for s in pending]:
            while not self.client.mined(sent):
                if time.monotonic() > end:
                    return
                time.sleep(every)

    def __len__(self) -> int:
        return sum(len(sent) for sent in self._pending.values())

    def check(self) -> list[Outcome]:
        """Reads the receipt of every pending transaction; returns the reverted and dropped ones
        (their keys freed). One still pending within `drop_after_s` stays, its key busy."""
        failed: list[Outcome] = []
        now = time.monotonic()
        for key in list(self._pending):
            left: list[SentTransaction] = []
            for sent in self._pending[key]:
                try:
                    receipt = self.client.receipt_of(sent)
                except ChainError as exc:  # the revert, decoded
                    failed.append(Outcome(key, sent, exc))
                    continue
                if receipt is not None:
                    continue
                if now - sent.sent_at > self.drop_after_s:
                    log.warning("%s: transaction %s not mined after %.0f s: taken as dropped (the nonce is read "
                                "again; the work is derived again from chain state)", sent.label, sent.tx_hash,
                                now - sent.sent_at)
                    self.client.resync_nonce()
                    failed.append(Outcome(key, sent, None))
                    continue
                left.append(sent)
            if left:
                self._pending[key] = left
            else:
                del self._pending[key]
        return failed
