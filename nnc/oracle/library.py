"""The oracle's librarian: lists every settled, accepted task's model in the model library and
records which settled tasks used a listed model (verified users for ratings).

For each Settled task it has not handled since it started:

- listing: when the task trained a model (an inference task's result is its outputs), agreed on
  a result that was not rejected, and no model is listed for it yet (a requester who listed it
  first wins), it reads the task's published spec (checked against
  its on-chain digest), the URI a node of the agreed majority revealed (`ResultRevealed`, in the
  index), and lists the model with `registerTask`: licence, visibility and domain from the spec's
  `library` section (`nnc.task.library_spec`, with its defaults), parent from its `base_model`;
- use: when the spec names a model it starts from or runs (`base_model.id`, for training and
  inference tasks alike), it records the use with `recordUse`, unless a use of the task is recorded already.

Restart-safe and idempotent without state of its own: the chain says what is done
(`modelOfTask`, `useOfTask`), the index what is settled; after a restart every settled task is
checked once more. A task whose spec or result cannot be read, or whose step reverts for good, is
logged and not retried until the next start.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from nnc.chain.client import TRANSIENT_ERRORS, ChainClient
from nnc.chain.market import Market
from nnc.chain.models import ModelMetadata, Models, Visibility
from nnc.chain.ratings import Ratings
from nnc.chain.types import TaskStatus
from nnc.errors import ContractRevertError, NNCError
from nnc.oracle.index import EventIndex
from nnc.storage import Store
from nnc.task import TaskSpec
from nnc.task.library_spec import DEFAULT_LICENCE
from nnc.task.publish import published_spec

log = logging.getLogger(__name__)

CONTRACTS = ("ModelRegistry", "ModelRatings")
"""What the deployment needs for the librarian to work (older deployments have neither)."""


def used_model(spec: TaskSpec) -> int | None:
    """The listed model a spec starts from or, for an inference task, runs (`base_model.id`), or None."""
    return spec.base_model.id if spec.base_model is not None else None


def is_inference(spec: TaskSpec) -> bool:
    """Whether the spec is an inference task's: its result is outputs, not a model to list."""
    return spec.is_inference


def library_metadata(spec: TaskSpec, spec_uri: str, model_uri: str) -> tuple[ModelMetadata, Visibility]:
    """What the library states about a task's model, from its spec's `library` section and defaults."""
    library = spec.library
    program = spec.program
    sealed = library.visibility == "sealed" if library is not None and library.visibility else spec.privacy is not None
    metadata = ModelMetadata(
        model_uri=model_uri, licence=library.licence if library is not None else DEFAULT_LICENCE,
        framework=spec.framework, metric=spec.goal.metric, spec_uri=spec_uri,
        program_digest=bytes.fromhex(program.digest) if program is not None else b"\x00" * 32,
        program_uri=program.uri if program is not None else "", dataset_uri=spec.dataset.uri or "",
        domain=(library.domain or "") if library is not None else "")
    return metadata, Visibility.SEALED if sealed else Visibility.PUBLIC


class Librarian:
    """Lists settled tasks' models and records model uses, signing as the oracle (REGISTRAR_ROLE)."""

    def __init__(self, client: ChainClient, market: Market, index: EventIndex, store: Store,
                 context: Callable[[int | None], AbstractContextManager[None]]) -> None:
        self.market = market
        self.index = index
        self.store = store
        self.context = context
        self.models = Models(client)
        self.ratings = Ratings(client)
        self.handled: set[int] = set()  # settled tasks done or given up on since the start

    @staticmethod
    def available(client: ChainClient) -> bool:
        """Whether the deployment has a model library to keep."""
        assert client.deployment is not None
        return all(name in client.deployment.addresses for name in CONTRACTS)

    def catalogue(self, until: float | None = None) -> list[tuple[int, str]]:
        """Lists and records what is due for every settled task not handled yet; returns
        (task id, "register_model" or "record_use") for each transaction sent. With `until` (a
        `time.monotonic()` value), stops once it has passed: the rest waits for later rounds."""
        done: list[tuple[int, str]] = []
        handled_now = 0
        for row in self.index.tasks(TaskStatus.SETTLED):
            task_id = int(row["task_id"])
            if task_id in self.handled:
                continue
            if until is not None and handled_now and time.monotonic() > until:
                break
            handled_now += 1
            with self.context(task_id):
                try:
                    done.extend((task_id, action) for action in self._catalogue_task(row))
                except TRANSIENT_ERRORS:
                    raise
                except (NNCError, OSError, ValueError) as exc:
                    log.warning("task %d: model library not updated for it: %s", task_id, exc)
                self.handled.add(task_id)
        return done

    def _catalogue_task(self, row: dict[str, Any]) -> list[str]:
        task_id = int(row["task_id"])
        task = self.market.task(task_id)
        listable = any(task.result_digest) and not task.rejected and self.models.model_of_task(task_id) is None
        use_pending = self.ratings.use_of_task(task_id) is None
        if not listable and not use_pending:
            return []
        spec_uri, spec = published_spec(self.market, self.store, task_id)
        used = used_model(spec)
        actions: list[str] = []
        if listable and not is_inference(spec):
            model_uri = self._agreed_uri(task_id, "0x" + task.result_digest.hex())
            if model_uri is None:
                log.warning("task %d: no node of the agreed result revealed its URI: model not listed", task_id)
            else:
                metadata, visibility = library_metadata(spec, spec_uri, model_uri)
                parent = used if used is not None and used <= self.models.count() else 0
                try:
                    model_id = self.models.register_task(task_id, metadata, parent, visibility)
                except ContractRevertError as exc:  # e.g. its requester listed it meanwhile: the use still counts
                    log.warning("task %d: model not listed: %s", task_id, exc)
                else:
                    log.info("task %d: model %d listed (%s, %s, parent %s)", task_id, model_id, metadata.licence,
                             visibility.name.lower(), parent or "none")
                    actions.append("register_model")
        if used is not None and use_pending:
            self.ratings.record_use(used, task_id)
            log.info("task %d: use of model %d recorded for its payers (verified users)", task_id, used)
            actions.append("record_use")
        return actions

    def _agreed_uri(self, task_id: int, digest: str) -> str | None:
        """The URI a node of the agreed result revealed, from the index."""
        for node in self.index.task_nodes(task_id):
            if str(node["result_digest"]).lower() == digest.lower() and node["result_uri"]:
                return str(node["result_uri"])
        return None
