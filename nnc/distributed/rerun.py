"""Re-running a data-parallel task from its last verified round, after a spot-check refuted a round.

The choice (issue 16): a refuted (node, round) freezes the task's round book, and the task is
re-run from the last verified round rather than having the remaining nodes recompute the rounds
after it inside the same task. The refuted node is slashed and unpaid (its share and part of its
collateral go to the requester); the honest nodes are paid for the rounds they trained, in good
faith, on the public start weights; the requester then publishes the re-run:

- its `init` weights are the start weights of the refuted round (the outer steps of the counted
  deltas of rounds 1 … r − 1, which every reader of the chain and storage computes alike),
  stored content-addressed as safetensors and named by URI and SHA-256, so every node and
  verifier of the re-run checks them like any spec's init weights;
- it trains the rounds that are left, `R − r + 1`, with the same nodes, inner steps, outer
  optimizer, data and seed (the outer optimizer's momentum starts again from zero, and each
  node's inner state fresh: neither is part of the weights; its rounds draw their batches as a
  task's first rounds do);
- it is a new task with its own budget, book and spot-check: nothing of the frozen one moves.

`rerun_spec` builds that spec; `nnc task rerun ID` stores the weights and publishes it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from nnc.chain.rounds import BookStatus, RoundBook
from nnc.distributed.history import BookHistory
from nnc.distributed.plan import plan_of
from nnc.distributed.tensors import tensor_bytes
from nnc.errors import TrainingError
from nnc.storage import Store
from nnc.task import TaskSpec, parse_spec
from nnc.task.spec import canonical_json
from nnc.training.program import Program


@dataclass(frozen=True)
class Rerun:
    """A re-run's spec, the round of the frozen task it starts from, and where its init weights live."""

    spec: TaskSpec
    from_round: int
    weights_uri: str
    weights_sha256: str


def rerun_spec(book: RoundBook, store: Store, task_id: int, spec: TaskSpec, program: Program) -> Rerun:
    """The spec that re-runs task `task_id` (whose published spec is `spec`, trained by `program`,
    from `nnc.runtimes.rounds_program`) from the last verified round of its frozen round book,
    with that round's start weights stored in `store` as its init weights (see the module's notes).
    `TrainingError` when the book is not frozen, or the model's weights cannot be init weights."""
    view = book.book(task_id)
    if view.status != BookStatus.FROZEN:
        raise TrainingError(f"task {task_id}'s round book is {view.status.name.lower()}: only a frozen book (a "
                            "round refuted by a spot-check) is re-run from its last verified round")
    if getattr(program, "load_init", None) is not None:
        raise TrainingError(f"{spec.name!r} trains adapters on a base model: its rounds' weights are the adapters, "
                            "which cannot be a re-run's init weights")
    plan = plan_of(spec)
    start = view.refuted_round
    weights = BookHistory(book, store, task_id, spec, program, plan).start_weights(start)
    blob = tensor_bytes(weights)
    uri = store.put_bytes(blob)
    digest = hashlib.sha256(blob).hexdigest()
    left = plan.rounds - start + 1
    data: dict[str, Any] = json.loads(canonical_json(spec))
    data.pop("base_model", None)
    data["init"] = {"uri": uri, "format": "safetensors", "digest": digest}
    data["parallel"]["rounds"] = left
    data["training"]["steps"] = plan.inner_steps * left
    data["training"]["checkpoint_interval"] = min(data["training"]["checkpoint_interval"], plan.inner_steps * left)
    data["name"] = f"{spec.name} (re-run of task {task_id} from round {start})"[:200]
    return Rerun(parse_spec(data), start, uri, digest)
