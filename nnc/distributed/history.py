"""The public history of a data-parallel task's rounds, read from its RoundBook and storage.

Everything a node needs to go on from the chain alone, and a verifier to replay a (node, round):
- who held each seat in each round: the node the book's SeatFilled events seated there last from
  a round `≤ r` (`holders`, `seat_of`);
- a round's deltas in seat order (`deltas`): the holder's delta when its commitment was counted at
  the round's close, fetched by the manifest URI of its DeltaCommitted event and checked against
  the committed digest (`fetch_round`), else None. So is a committed delta whose bytes are not a
  delta of the spec's model (not tensors, other names, shapes or dtypes, a value that is not
  finite): every honest reader fetches the same committed bytes, so every one leaves it out alike
  (refuting it is the spot-check's job). A store that cannot serve a blob raises: whether storage
  answers may differ between readers, so that is an error retried later, never a left-out delta;
- every round's start weights (`start_weights`): round 1's are the spec's seeded initial weights,
  round `r + 1`'s the outer step of round `r`'s deltas (`outer_step`), kept in memory from where
  the last call left off (round `R + 1`: the final weights);
- a node's inner state before a round (`previous_state`): the end state in the manifest of its
  latest committed round before it, in the seat it holds then (None: it committed none there,
  a fresh inner optimizer).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

import torch

from nnc.chain.rounds import CommitState, RoundBook
from nnc.distributed.commitment import fetch_round
from nnc.distributed.outer import OuterState, outer_step
from nnc.distributed.plan import DilocoPlan
from nnc.distributed.rounds import initial_weights
from nnc.errors import TrainingError
from nnc.storage import Store
from nnc.task import TaskSpec
from nnc.training.program import Program
from nnc.training.trainer import deterministic_torch

log = logging.getLogger(__name__)

Weights = dict[str, torch.Tensor]


def usable_delta(start: Mapping[str, torch.Tensor], delta: Mapping[str, torch.Tensor], what: str) -> Weights | None:
    """`delta` when it is one of a model with weights `start` (same names, shapes and dtypes, every
    value finite), else None (logged as left out)."""
    if sorted(delta) != sorted(start):
        log.warning("%s: left out: its weights %s are not the model's %s", what, sorted(delta), sorted(start))
        return None
    for name, tensor in delta.items():
        if tensor.shape != start[name].shape or tensor.dtype != start[name].dtype:
            log.warning("%s: left out: %r is %s %s, the model's is %s %s", what, name, tensor.dtype,
                        tuple(tensor.shape), start[name].dtype, tuple(start[name].shape))
            return None
        if not bool(torch.isfinite(tensor).all()):
            log.warning("%s: left out: %r holds values that are not finite", what, name)
            return None
    return dict(delta)


def previous_manifest(book: RoundBook, task_id: int, node: str, round_: int) -> tuple[int, str] | None:
    """(round, manifest URI) of `node`'s latest round committed before `round_` (1-based) since it
    took its seat, whose end state its round `round_` starts from; None when there is none (a
    fresh inner optimizer: its first round, or a replacement's)."""
    joined = [from_round for _, holder, from_round in book.seatings(task_id)
              if holder.lower() == node.lower() and from_round <= round_]
    since = max(joined) if joined else 1
    committed = [(r, uri) for (r, holder), uri in book.delta_uris(task_id).items()
                 if holder.lower() == node.lower() and since <= r < round_]
    return max(committed) if committed else None


@dataclass(frozen=True)
class _Events:
    """What the book's event logs say of a task's rounds: its seatings and its delta URIs."""

    seatings: list[tuple[int, str, int]]
    uris: dict[tuple[int, str], str]


@dataclass
class _Started:
    """The start weights of round `round` (1-based) and the outer optimizer's state before it."""

    round: int
    weights: Weights
    outer: OuterState


class BookHistory:
    """One task's rounds as anyone reads them (see the module's notes)."""

    def __init__(self, book: RoundBook, store: Store, task_id: int, spec: TaskSpec, program: Program,
                 plan: DilocoPlan) -> None:
        self.book = book
        self.store = store
        self.task_id = task_id
        self.spec = spec
        self.program = program
        self.plan = plan
        self._started = _Started(1, initial_weights(spec, program), OuterState())

    # -- seats -------------------------------------------------------------------------------

    def holders(self, round_: int, seatings: list[tuple[int, str, int]] | None = None) -> dict[int, str]:
        """Seat (1-based) → the node holding it in `round_` (from `seatings`, the book's by default)."""
        held: dict[int, str] = {}
        for seat, node, joined in self.book.seatings(self.task_id) if seatings is None else seatings:
            if joined <= round_:
                held[seat] = node
        return held

    def seat_of(self, node: str, round_: int, seatings: list[tuple[int, str, int]] | None = None) -> int | None:
        """The seat `node` held in `round_`, None when it held none then."""
        for seat, holder in self.holders(round_, seatings).items():
            if holder.lower() == node.lower():
                return seat
        return None

    # -- deltas and start weights -------------------------------------------------------------

    def deltas(self, round_: int, start: Mapping[str, torch.Tensor], *, events: _Events | None = None,
               ) -> list[Weights | None]:
        """Round `round_`'s counted deltas in seat order, None for a seat without one (see the
        module's notes); `TrainingError` when no seat has a usable one (nothing to average).
        `events`: the book's seatings and delta URIs when the caller read them already."""
        events = events or self._events()
        holders = self.holders(round_, events.seatings)
        uris = events.uris
        deltas: list[Weights | None] = []
        for seat in range(1, self.plan.nodes + 1):
            holder = holders.get(seat)
            commitment = None if holder is None else self.book.commitment(self.task_id, round_, holder)
            if holder is None or commitment is None or commitment.state != CommitState.COUNTED:
                deltas.append(None)
                continue
            uri = uris[(round_, holder)]
            what = f"task {self.task_id} round {round_} seat {seat}'s delta at {uri}"
            try:
                fetched = fetch_round(self.store, uri, commitment.delta_digest, what=what)
            except TrainingError as exc:
                log.warning("%s: left out: %s", what, exc)
                deltas.append(None)
                continue
            deltas.append(usable_delta(start, fetched.delta, what))
        if all(delta is None for delta in deltas):
            raise TrainingError(f"task {self.task_id} round {round_} closed without a usable delta: nothing to "
                                "average")
        return deltas

    def start_weights(self, round_: int) -> Weights:
        """The start weights of `round_` (1-based; `R + 1`: the final weights): the outer steps of
        the rounds before it, from where the last call left off."""
        started = self._started
        if started.round > round_:  # asked for an earlier round (a verifier, or a reorganisation)
            started = _Started(1, initial_weights(self.spec, self.program), OuterState())
        events = self._events() if started.round < round_ else None  # read once for every round to step
        while started.round < round_:
            deltas = self.deltas(started.round, started.weights, events=events)
            with deterministic_torch(self.spec.determinism.threads):
                weights, outer = outer_step(started.weights, deltas, started.outer, self.plan.outer)
            started = _Started(started.round + 1, weights, outer)
        self._started = started
        return started.weights

    def _events(self) -> _Events:
        return _Events(self.book.seatings(self.task_id), self.book.delta_uris(self.task_id))

    # -- a node's inner state -----------------------------------------------------------------

    def previous_manifest(self, node: str, round_: int) -> tuple[int, str] | None:
        """`previous_manifest` of `node`'s `round_` in this book."""
        return previous_manifest(self.book, self.task_id, node, round_)

    def previous_state(self, node: str, round_: int) -> Weights | None:
        """`node`'s inner state before `round_` (the end state in its `previous_manifest`), None for
        a fresh one. `TrainingError` when that manifest or state does not match its commitment."""
        previous = self.previous_manifest(node, round_)
        if previous is None:
            return None
        earlier, uri = previous
        commitment = self.book.commitment(self.task_id, earlier, node)
        fetched = fetch_round(self.store, uri, commitment.delta_digest, with_state=True,
                              what=f"task {self.task_id} round {earlier} of {node}")
        assert fetched.state is not None
        return fetched.state
