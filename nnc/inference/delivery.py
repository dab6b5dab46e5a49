"""Delivering an inference task's outputs to its requester: the outputs file a node revealed,
fetched (hash-checked by the store), decrypted with the requester's key when the task is
private, and checked against the digest the task settled on (or, before settlement, the node's
committed digest) before it is written out."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from web3 import Web3

from nnc.chain.market import Market
from nnc.errors import TaskSpecError, VerificationError
from nnc.inference.outputs import outputs_digest, read_outputs, shard_digest
from nnc.storage import Store
from nnc.storage.crypto import decrypt_file, is_encrypted, load_key
from nnc.task.publish import published_spec
from nnc.zk import agreement_tag


def fetch_outputs(market: Market, store: Store, task_id: int, dest: Path, key_file: Path | None = None) -> Path:
    """Writes task `task_id`'s outputs file to `dest` and returns it. Raises `TaskSpecError` for a
    training task, `VerificationError` when no revealed outputs match the committed digest."""
    _, spec = published_spec(market, store, task_id)
    if spec.inference is None:
        raise TaskSpecError(f"task {task_id} is a training task: its result is a model (nnc model get)")
    task = market.task(task_id)
    revealed = market.revealed_results(task_id)
    if not revealed:
        raise VerificationError(f"task {task_id}: no node has revealed its outputs yet")
    tag_key = market.agreement_key(task_id)
    problems = []
    with tempfile.TemporaryDirectory(prefix="nnc-outputs-") as tmp:
        for i, (node, uri) in enumerate(revealed):
            wanted = task.result_digest if any(task.result_digest) else market.result_of(task_id, node)
            path = store.get_file(uri, Path(tmp) / f"{i}.npz")
            if is_encrypted(path):
                if key_file is None:
                    problems.append(f"{uri} is sealed to the requester: give the key that opens it")
                    continue
                path = decrypt_file(path, Path(tmp) / f"{i}.plain.npz", load_key(key_file))
            try:
                shards = read_outputs(path, spec.inference)
            except VerificationError as exc:
                problems.append(str(exc))
                continue
            digest = outputs_digest(spec, [shard_digest(a, spec.inference.decimals) for a in shards])
            if tag_key is not None:
                digest = agreement_tag(tag_key, digest).to_bytes(32, "big")
            if digest != wanted:
                problems.append(f"{uri} (node {Web3.to_checksum_address(node)}) does not match the committed digest")
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dest)
            return dest
    raise VerificationError(f"task {task_id}: no revealed outputs are usable: {'; '.join(problems)}")
