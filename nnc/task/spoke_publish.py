"""Publishing a task from a spoke chain (issue 20): the budget is escrowed in the spoke's
native coin by its `SpokeGateway`, and a Hyperlane message publishes the task on the home chain.

The spec is stored and the task's parameters are built as for a home publication
(`nnc.task.publish`), with the HOME chain's clock and strategy contracts; `relay_allowance`
seconds are added to the apply window for the message's trip. The home gateway publishes the
task with its pool's coin and the spoke escrow backs it.
"""

from __future__ import annotations

from nnc.chain.client import ChainClient
from nnc.chain.deployment import STRATEGY_CONTRACTS
from nnc.chain.market import Market, PublishRequest
from nnc.chain.types import ETH
from nnc.crosschain.gateways import Published, SpokeGateway, encode_task_params
from nnc.storage import Store
from nnc.task.cost import compute_units
from nnc.task.publish import PublishError, PublishOptions, check_funds, check_terms
from nnc.task.spec import TaskSpec, canonical_json, spec_digest

RELAY_ALLOWANCE_S = 60
"""Seconds added to the apply window (and the deadline) for the PUBLISH message's trip home."""


def publish_on_spoke(home: ChainClient, spoke: SpokeGateway, store: Store, spec: TaskSpec,
                     options: PublishOptions, relay_allowance: int = RELAY_ALLOWANCE_S) -> Published:
    """Stores the spec, escrows `options.budget` (native coin) on the spoke and sends PUBLISH;
    `home` reads the home chain (clock, strategies, the market's minimum window) and signs
    nothing. The task id is known once the home gateway published it (`HomeGateway.task_of`)."""
    options.check()
    if options.token != ETH:
        raise PublishError(f"a spoke publication pays in the spoke's native coin, not {options.token}")
    if spec.parallel is not None:
        raise PublishError(f"{spec.name}: a parallel task cannot be published from a spoke chain yet (its round "
                           "book is opened by the requester, who is the home gateway's account)")
    check_terms(Market(home), spec, options.replication, options.apply_window, options.deadline)
    check_funds(spoke.client, ETH, options.budget)
    spec_uri = store.put_bytes(canonical_json(spec))
    now = home.block_timestamp() + relay_allowance
    request = PublishRequest(
        spec_digest=spec_digest(spec), spec_uri=spec_uri, budget=options.budget, replication=options.replication,
        collateral=options.collateral, apply_deadline=now + options.apply_window, deadline=now + options.deadline,
        min_hardware_class=options.min_hardware_class, compute_units=compute_units(spec),
        min_reputation=options.min_reputation)
    strategy = str(home.contract(STRATEGY_CONTRACTS[options.strategy]).address)
    return spoke.publish(encode_task_params(home.artifacts, request, strategy), options.budget)
