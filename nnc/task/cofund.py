"""Opening a co-funded task: validate the spec, store it, and open a funding pool for it.

The pool (nnc.chain.funding) publishes the task itself once its target is reached; until then
the task's terms wait in the pool. The spec is stored now, so every funder can read what it pays
for (the pool's terms carry the spec's URI and digest)."""

from __future__ import annotations

from dataclasses import dataclass

from nnc.chain.client import ChainClient
from nnc.chain.deployment import STRATEGY_CONTRACTS
from nnc.chain.funding import CoFunding, PoolTerms
from nnc.chain.market import Market
from nnc.storage import Store
from nnc.task.cost import compute_units
from nnc.task.publish import PublishError, PublishOptions, check_terms
from nnc.task.spec import TaskSpec, canonical_json, spec_digest


@dataclass(frozen=True)
class CofundOptions:
    """The task's publish options (budget: the target) plus the lead's part and the funding window."""

    task: PublishOptions  # task.budget is the target budget
    amount: int  # the lead's first contribution, in the token's smallest unit
    funding_window: int  # seconds from now; at most the apply window

    def check(self) -> None:
        self.task.check()
        if self.amount <= 0:
            raise PublishError(f"the first contribution must be positive (got {self.amount})")
        if not 0 < self.funding_window <= self.task.apply_window:
            raise PublishError(f"the funding window ({self.funding_window} s) must be positive and end by the "
                               f"time applications close ({self.task.apply_window} s): the pool publishes "
                               f"before nodes apply")
        least = self.task.budget // 64
        if self.amount < least:
            raise PublishError(f"the first contribution ({self.amount}) is below a seat's minimum, target / 64 "
                               f"= {least}")


def open_cofunded_task(client: ChainClient, store: Store, spec: TaskSpec, options: CofundOptions) -> tuple[str, str]:
    """Stores the canonical spec and opens a pool for it with this account as lead; returns
    (pool address, spec URI). Options are checked before anything is stored or sent."""
    options.check()
    task = options.task
    check_terms(Market(client), spec, task.replication, task.apply_window, task.deadline)
    spec_uri = store.put_bytes(canonical_json(spec))
    now = client.next_block_timestamp()
    terms = PoolTerms(
        spec_digest=spec_digest(spec), spec_uri=spec_uri, token=task.token, replication=task.replication,
        strategy=str(client.contract(STRATEGY_CONTRACTS[task.strategy]).address), collateral=task.collateral,
        min_hardware_class=task.min_hardware_class, apply_deadline=now + task.apply_window,
        deadline=now + task.deadline, compute_units=compute_units(spec), min_reputation=task.min_reputation)
    pool, _ = CoFunding(client).open(terms, task.budget, now + options.funding_window, options.amount)
    return pool, spec_uri
