"""The API's dry run: the shared estimator (`nnc.node.estimate`) behind `POST /api/specs/estimate`.

The figures are the ones `nnc task dry-run` gives for the same spec, steps, price and replication:
one estimator, priced with the fee and settlement weights the API's chain holds now. The server
times a spec only within MAX_DRY_RUN_MACS and never downloads a dataset to estimate; other specs
get their untimed figures (`steps_measured` 0).
"""

from __future__ import annotations

import threading
from typing import Any, Final

from nnc.chain.client import ChainClient
from nnc.chain.profiles import DEVNET
from nnc.node.estimate import (
    DEFAULT_PRICE_WEI,
    PricingTerms,
    estimate,
    estimate_document,
    terms_from_chain,
    terms_from_profile,
)
from nnc.task import TaskSpec

DRY_RUN_STEPS: Final = 10
MAX_DRY_RUN_MACS: Final = 2 * 10**9
"""Largest forward pass (multiply-accumulates per step: model MACs x batch) the API times itself;
bigger specs get their compute units and sizes but no timing (run the dry run on a node instead)."""
_lock = threading.Lock()  # torch's thread and determinism settings are process-wide


def dry_run(spec: TaskSpec, steps: int = DRY_RUN_STEPS, client: ChainClient | None = None,
            price_per_compute_unit: int = DEFAULT_PRICE_WEI, replication: int = 1) -> dict[str, Any]:
    """The estimate of `spec` as the response JSON (`estimate_document`), priced with the fee and
    weights on the chain of `client` (the route passes the serving app's), or the devnet profile's
    without one (and the document's `source` says so)."""
    terms = _pricing_terms(client)
    with _lock:
        result = estimate(spec, terms, steps=steps, price_per_compute_unit=price_per_compute_unit,
                          replication=replication, max_timed_macs=MAX_DRY_RUN_MACS)
    return estimate_document(result)


def _pricing_terms(client: ChainClient | None) -> PricingTerms:
    if client is None:
        return terms_from_profile(DEVNET, "the API was given no chain")
    return terms_from_chain(client)
