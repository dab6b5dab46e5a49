"""A verifier's replay of one (node, round): does the node's committed round follow the algorithm?

`replay_round` recomputes the node's inner round (`inner_round`) from public inputs only: the
round's start weights (the outer steps of the committed deltas before it), the node's shard (its
seat's, `shard_indices`) and the node's previous inner state (the end state of its latest
committed round before this one in its seat, read from that round's manifest; None when it had
none: a fresh optimizer). It then compares the replayed delta's and end state's digests with the
committed ones: a node that trained fewer steps, on another shard, from other weights or from
another state does not match. The replay is bitwise (`inner_round` is, on the CPU).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

from nnc.distributed.commitment import RoundManifest, round_commitment
from nnc.distributed.plan import DilocoPlan
from nnc.distributed.rounds import inner_round
from nnc.distributed.tensors import tensor_digest
from nnc.errors import TrainingError
from nnc.task import TaskSpec
from nnc.training.program import Program, TrainData


@dataclass(frozen=True)
class RoundReplay:
    """The replay's verdict: `matches` and, when not, `reason` (what differs); the replayed
    delta's and end state's SHA-256 (hex) and their `round_commitment`."""

    matches: bool
    reason: str
    delta_sha256: str
    state_sha256: str
    commitment: bytes


def replay_round(spec: TaskSpec, program: Program, start_weights: Mapping[str, torch.Tensor], shard: Sequence[int],
                 node_index: int, round_index: int, previous_state: Mapping[str, torch.Tensor] | None,
                 committed: RoundManifest | bytes, *, plan: DilocoPlan | None = None,
                 data: TrainData | None = None) -> RoundReplay:
    """Replays node `node_index`'s round `round_index` (0-based, as `inner_round`) and compares it
    with `committed`: the node's round manifest (its delta and state digests are compared one by
    one; the caller checks the manifest's `.commitment` against the chain, or `fetch_round` did)
    or the 32-byte digest committed on chain (compared with the replay's `round_commitment`).
    A round that cannot be trained from these inputs (a previous state that is no state of the
    model) does not match either; `reason` says why."""
    try:
        replayed = inner_round(spec, program, start_weights, shard, node_index, round_index,
                               previous_state=previous_state, plan=plan, data=data)
    except (TrainingError, RuntimeError, ValueError) as exc:  # torch refusing a state that is no state of it
        return RoundReplay(False, f"the round cannot be replayed from its inputs: {exc}", "", "", b"")
    delta_sha, state_sha = tensor_digest(replayed.delta), tensor_digest(replayed.state)
    binding = round_commitment(delta_sha, state_sha)
    problems = []
    if isinstance(committed, RoundManifest):
        if delta_sha != committed.delta_sha256:
            problems.append(f"the delta differs (replayed 0x{delta_sha[:16]}…, committed "
                            f"0x{committed.delta_sha256[:16]}…)")
        if state_sha != committed.state_sha256:
            problems.append(f"the end inner state differs (replayed 0x{state_sha[:16]}…, committed "
                            f"0x{committed.state_sha256[:16]}…)")
    elif binding != committed:
        problems.append(f"the replay binds 0x{binding.hex()[:16]}…, the node committed 0x{committed.hex()[:16]}…")
    where = f"node {node_index}'s round {round_index}"
    if problems:
        return RoundReplay(False, f"{where} does not replay: " + "; ".join(problems), delta_sha, state_sha, binding)
    return RoundReplay(True, f"{where} replays bitwise", delta_sha, state_sha, binding)
