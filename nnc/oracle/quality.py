"""The oracle's evaluation of a submitted result: the model's metric on the spec's eval split.

The model file is fetched from storage (hash-checked), its weights digest is compared with the
digest the nodes committed on-chain, and only then is it evaluated. The score, in basis points,
and whether the spec's acceptance threshold is met are what the oracle reports with
`reportQuality` during the challenge window.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nnc.chain.client import ChainClient
from nnc.chain.generated import CONSTANTS
from nnc.errors import TrainingError, VerificationError
from nnc.inference import outputs_digest, read_outputs, shard_digest
from nnc.library import fetch_task_files
from nnc.oracle.scores import Quality
from nnc.runtimes.dispatch import evaluate
from nnc.sandbox import SandboxLimits
from nnc.storage import Store
from nnc.storage.cache import DATASET_CACHE
from nnc.task import TaskSpec, parse_spec
from nnc.training.data import fetch_dataset
from nnc.verification.result import committed_digest, fetch_result_model
from nnc.zk import agreement_tag

log = logging.getLogger(__name__)

__all__ = ["MAX_SCORE", "Quality", "evaluate_result", "outputs_quality"]

MAX_SCORE = CONSTANTS["TaskMarket.MAX_SCORE"]


def evaluate_result(client: ChainClient, store: Store, spec_uri: str, spec_digest: bytes, model_uri: str,
                    result_digest: bytes, tag_key: int | None = None,
                    limits: SandboxLimits | None = None, cache: Path | None = None) -> Quality:
    """Quality of the model at `model_uri`, checked against both digests: a score (0..10000),
    its accuracy or for a loss metric `threshold / loss` capped at 1 (`AcceptanceSpec.quality`),
    and whether the metric meets the spec's acceptance threshold (`AcceptanceSpec.accepts`).

    With `tag_key` (the task's statement key, `Market.agreement_key`), `result_digest` is the
    agreement tag the nodes proved for that task
    (results submitted as zero-knowledge commitments): the model's digest must produce it.
    A requester's program evaluates the model in the sandbox (under `limits`), never in process;
    a spec's `base_model` is fetched from the library (`client`'s registry) and checked first.
    With `cache` (a folder the oracle keeps), the dataset, program package and base model are
    fetched once per content and checked again at each use (`nnc.storage.cache`); processes
    sharing it take turns to fetch (a lock file), so two never write one entry.
    """
    spec_bytes = store.get_bytes(spec_uri)
    if hashlib.sha256(spec_bytes).digest() != spec_digest:
        raise TrainingError(f"spec at {spec_uri} does not match the task's spec digest")
    spec = parse_spec(spec_bytes, source=spec_uri)
    if spec.privacy is not None:
        raise TrainingError("a private task's model is encrypted to its requester and nodes, not to the oracle")
    if spec.is_inference:
        return outputs_quality(store, spec, model_uri, result_digest, tag_key)
    state = fetch_result_model(store, model_uri).weights
    if committed_digest(state, spec.determinism.digest_decimals, tag_key) != result_digest:
        raise TrainingError(f"model at {model_uri} does not match the committed result digest "
                            f"0x{result_digest.hex()}")
    with tempfile.TemporaryDirectory(prefix="nnc-eval-") as tmp:
        with _fetching(cache):
            files = fetch_task_files(spec, client, store, cache or Path(tmp))
            dataset = fetch_dataset(spec, store, Path(tmp), None if cache is None else cache / DATASET_CACHE)
        metric = evaluate(spec, state, dataset, files, limits)
    score = max(0, min(MAX_SCORE, round(spec.goal.quality(metric) * MAX_SCORE)))
    return Quality(score=score, accepted=spec.goal.accepts(metric))


@contextmanager
def _fetching(cache: Path | None) -> Iterator[None]:
    """Holds `cache`'s lock (an exclusive `flock`, released if the process dies) while fetching."""
    if cache is None:
        yield
        return
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def outputs_quality(store: Store, spec: TaskSpec, outputs_uri: str, result_digest: bytes,
                    tag_key: int | None = None) -> Quality:
    """An inference task has no metric: its outputs file must be well formed (one array per
    shard, one output per input) and digest to the committed result, and then scores in full.
    Whether the outputs are right is what replication or a spot-check settles."""
    assert spec.inference is not None
    with tempfile.TemporaryDirectory(prefix="nnc-outputs-") as tmp:
        try:
            shards = read_outputs(store.get_file(outputs_uri, Path(tmp) / "outputs.npz"), spec.inference)
        except VerificationError as exc:
            raise TrainingError(str(exc)) from None
    digest = outputs_digest(spec, [shard_digest(a, spec.inference.decimals) for a in shards])
    if tag_key is not None:
        digest = agreement_tag(tag_key, digest).to_bytes(32, "big")
    if digest != result_digest:
        raise TrainingError(f"outputs at {outputs_uri} do not match the committed result digest "
                            f"0x{result_digest.hex()}")
    return Quality(score=MAX_SCORE, accepted=True)
