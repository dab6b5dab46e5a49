"""Audit records: the whole on-chain history of a finished task, archived where it lasts.

A record is canonical JSON (sorted keys, no spaces): the deployment it belongs to, the task's
indexed row, its nodes, and every event of the task in chain order with block, transaction and
arguments. Anyone can rebuild the same record from the chain's logs and compare digests.
"""

from __future__ import annotations

import json
from typing import Any, Final

from nnc.chain.deployment import Deployment
from nnc.oracle.index import EventIndex

AUDIT_RECORD_VERSION: Final = 1


def audit_record(index: EventIndex, task_id: int, deployment: Deployment) -> bytes:
    """The audit record of `task_id` as canonical JSON bytes."""
    task = index.task(task_id)
    if task is None:
        raise KeyError(f"task {task_id} is not indexed")
    record: dict[str, Any] = {
        "version": AUDIT_RECORD_VERSION,
        "chain_id": deployment.chain_id,
        "task_market": deployment.address_of("TaskMarket"),
        "task": task,
        "nodes": index.task_nodes(task_id),
        "events": [{k: event[k] for k in ("block_number", "log_index", "tx_hash", "contract", "name", "args")}
                   for event in index.events(task_id)],
    }
    return json.dumps(record, sort_keys=True, separators=(",", ":")).encode()
