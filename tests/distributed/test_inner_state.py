"""The inner optimizer state carried across a node's rounds (`nnc.distributed.inner_state`), the
commitment binding delta and state (`commitment`), a verifier's replay of a (node, round)
(`replay`) and the mid-round checkpoint (`resume`). The tiny digits MLP of test_diloco."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import cast

import pytest
import torch

from nnc.distributed import (
    DilocoPlan,
    DilocoResult,
    RoundCheckpoint,
    RoundManifest,
    fetch_round,
    initial_weights,
    inner_round,
    load_optimizer_state,
    optimizer_state,
    outer_step,
    plan_of,
    publish_round,
    reference_run,
    replay_round,
    round_commitment,
    shard_indices,
    tensor_bytes,
    tensor_digest,
)
from nnc.distributed.outer import OuterState
from nnc.errors import TrainingError
from nnc.storage.local import LocalStore
from nnc.task import TaskSpec, parse_spec
from nnc.task.parallel_spec import OuterSpec
from nnc.training.data import SplitData
from nnc.training.program import Program
from nnc.training.trainer import deterministic_torch, make_optimizer, replay_program
from tests.distributed.test_diloco import INNER, NODES, ROUNDS, document, same


@pytest.fixture(scope="module")
def spec() -> TaskSpec:
    return parse_spec(document())


@pytest.fixture(scope="module")
def shards(spec: TaskSpec, data: SplitData) -> list[list[int]]:
    return shard_indices(data.n_train, NODES, spec.schedule.seed)


# --- the state's canonical form -----------------------------------------------------------------

def test_optimizer_state_is_named_canonical_and_round_trips(spec: TaskSpec, program: Program,
                                                            data: SplitData, shards: list[list[int]]) -> None:
    result = inner_round(spec, program, initial_weights(spec, program), shards[0], 0, 0, data=data)
    state = result.state
    assert "0.weight/exp_avg" in state and "0.weight/exp_avg_sq" in state, sorted(state)
    assert torch.equal(state["0.weight/step"], torch.tensor(float(INNER)))
    with deterministic_torch(1):
        model = program.build()
        optimizer = make_optimizer(spec, program.trainable(model))
        load_optimizer_state(model, optimizer, state)
        assert tensor_bytes(optimizer_state(model, optimizer)) == tensor_bytes(state)
        with pytest.raises(TrainingError, match=r"node 2's state holds 'nope/exp_avg', which is no"):
            load_optimizer_state(model, optimizer, {"nope/exp_avg": torch.zeros(1)}, "node 2's state")
        bad_shape = dict(state) | {"0.weight/exp_avg": torch.zeros(3)}
        with pytest.raises(TrainingError, match=r"'0.weight/exp_avg' is \(3,\), the parameter"):
            load_optimizer_state(model, optimizer, bad_shape)
        scalar = dict(state) | {"0.weight/exp_avg": torch.tensor(1.0)}  # only the step counter is 0-d
        with pytest.raises(TrainingError, match=r"'0.weight/exp_avg' is \(\), the parameter"):
            load_optimizer_state(model, optimizer, scalar)
    # a stateless inner optimizer has the empty state
    sgd = spec.model_copy(update={"training": spec.schedule.model_copy(update={"optimizer": "sgd"})})
    assert inner_round(sgd, program, initial_weights(sgd, program), shards[0], 0, 0, data=data).state == {}


def test_one_node_adam_rounds_are_plain_adam_training(spec: TaskSpec, program: Program, data: SplitData) -> None:
    """The state carried: one node's R rounds of H Adam steps with outer `sgd` lr 1, momentum 0 are
    plain Adam training of H·R steps, to float32 rounding of each outer step (a fresh Adam each
    round would restart its moments and bias correction, and land elsewhere)."""
    plain_spec = spec.model_copy(update={"parallel": None})
    plan = DilocoPlan(1, INNER, ROUNDS, OuterSpec(optimizer="sgd", lr=1.0, momentum=0.0))
    plain = replay_program(plain_spec, program, None, INNER * ROUNDS, data)
    result = reference_run(plain_spec, program, plan=plan, data=data)
    for name in plain:
        assert torch.allclose(result.weights[name], plain[name], rtol=0, atol=1e-5), name
    fresh = reference_run(plain_spec, program, plan=plan, data=data, fresh={(0, r) for r in range(ROUNDS)})
    assert max(float((fresh.weights[n] - plain[n]).abs().max()) for n in plain) > 1e-3


def test_the_reference_records_states_and_commitments(reference: DilocoResult) -> None:
    for record in reference.rounds:
        assert len(record.state_digests) == NODES == len(record.commitments)
        for delta, state, commitment in zip(record.delta_digests, record.state_digests, record.commitments,
                                            strict=True):
            assert commitment == hashlib.sha256(b"nnc-round-v1" + bytes.fromhex(delta)
                                                + bytes.fromhex(state)).hexdigest()
    assert all(state is not None for state in reference.inner_states)


# --- the commitment and the manifest ------------------------------------------------------------

def test_a_round_is_published_as_a_manifest_binding_delta_and_state(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    delta, state = {"w": torch.ones(3)}, {"w/exp_avg": torch.zeros(3)}
    uri, manifest = publish_round(store, delta, state)
    assert manifest.delta_sha256 == tensor_digest(delta) and manifest.state_sha256 == tensor_digest(state)
    assert manifest.commitment == round_commitment(tensor_digest(delta), tensor_digest(state))
    assert store.get_bytes(uri) == manifest.to_bytes()
    assert manifest.to_bytes().startswith(b'{"delta_sha256":"') and manifest.to_bytes().endswith(b',"version":1}')
    assert RoundManifest.from_bytes(manifest.to_bytes()) == manifest

    fetched = fetch_round(store, uri, manifest.commitment)
    assert same(fetched.delta, delta) and fetched.state is None
    with_state = fetch_round(store, uri, manifest.commitment, with_state=True)
    assert with_state.state is not None and same(with_state.state, state)
    with pytest.raises(TrainingError, match="seat 2's manifest at .* binds 0x.*, the node committed 0x0101"):
        fetch_round(store, uri, b"\x01" * 32, what="seat 2")
    # a manifest whose delta is not the one it names
    lying = RoundManifest(manifest.delta_uri, tensor_digest(state), manifest.state_uri, manifest.state_sha256)
    lying_uri = store.put_bytes(lying.to_bytes())
    with pytest.raises(TrainingError, match="delta at .* is not the manifest's"):
        fetch_round(store, lying_uri, lying.commitment)


@pytest.mark.parametrize(("blob", "message"), [
    (b"\xff", "is not JSON"),
    (b'{"delta_uri": "x"}', "is not a round manifest"),
    (b'{"delta_sha256":"00","delta_uri":"a","state_sha256":"00","state_uri":"b","version":1}', "must be 32 bytes"),
    (b'{"delta_sha256":"' + b"0" * 64 + b'","delta_uri":"a","state_sha256":"' + b"0" * 64
     + b'","state_uri":"b","version":2}', "not a version-1 round manifest"),
    (b'{"version":1, "delta_sha256":"' + b"0" * 64 + b'","delta_uri":"a","state_sha256":"' + b"0" * 64
     + b'","state_uri":"b"}', "not in canonical form"),
])
def test_what_is_no_manifest_is_named(blob: bytes, message: str) -> None:
    with pytest.raises(TrainingError, match=message):
        RoundManifest.from_bytes(blob, "seat 1's manifest")


# --- replay -------------------------------------------------------------------------------------

def _round_inputs(spec: TaskSpec, program: Program, data: SplitData, shards: list[list[int]], node: int,
                  round_index: int) -> tuple[dict[str, torch.Tensor], dict[str, torch.Tensor] | None]:
    """The start weights of `round_index` and `node`'s state before it, recomputed round by round
    as every node would (the reference's algorithm, in the open)."""
    weights, outer, states = initial_weights(spec, program), OuterState(), [None] * NODES
    previous: dict[str, torch.Tensor] | None = None
    for r in range(round_index):
        results = [inner_round(spec, program, weights, shards[n], n, r, previous_state=states[n], data=data)
                   for n in range(NODES)]
        states = [res.state for res in results]  # type: ignore[misc]
        with deterministic_torch(spec.determinism.threads):
            weights, outer = outer_step(weights, [res.delta for res in results], outer, plan_of(spec).outer)
    previous = states[node]
    return weights, previous


def test_an_honest_round_replays_bitwise_and_a_lazy_one_does_not(spec: TaskSpec, program: Program, data: SplitData,
                                                                 shards: list[list[int]],
                                                                 reference: DilocoResult) -> None:
    node, round_index = 1, 2
    start, previous = _round_inputs(spec, program, data, shards, node, round_index)
    assert previous is not None
    record = reference.rounds[round_index]
    assert tensor_digest(start) == record.start_digest
    honest = inner_round(spec, program, start, shards[node], node, round_index, previous_state=previous, data=data)
    manifest = RoundManifest("local://d", tensor_digest(honest.delta), "local://s", tensor_digest(honest.state))
    assert manifest.commitment.hex() == record.commitments[node]

    for committed in (manifest, manifest.commitment):
        verdict = replay_round(spec, program, start, shards[node], node, round_index, previous, committed, data=data)
        assert verdict.matches, verdict.reason
        assert verdict.commitment == manifest.commitment and verdict.delta_sha256 == manifest.delta_sha256

    lazy = inner_round(spec, program, start, shards[node], node, round_index, previous_state=previous,
                       steps=INNER - 2, data=data)
    lazy_manifest = RoundManifest("local://d", tensor_digest(lazy.delta), "local://s", tensor_digest(lazy.state))
    verdict = replay_round(spec, program, start, shards[node], node, round_index, previous, lazy_manifest, data=data)
    assert not verdict.matches
    assert "node 1's round 2 does not replay: the delta differs" in verdict.reason
    assert "the end inner state differs" in verdict.reason
    by_digest = replay_round(spec, program, start, shards[node], node, round_index, previous,
                             lazy_manifest.commitment, data=data)
    assert not by_digest.matches and "the replay binds" in by_digest.reason

    # a node that restarted its optimizer (or claims another previous state) does not replay either
    restarted = replay_round(spec, program, start, shards[node], node, round_index, None, manifest, data=data)
    assert not restarted.matches and "the delta differs" in restarted.reason
    # nor one whose claimed previous state is no state of the model
    junk = replay_round(spec, program, start, shards[node], node, round_index, {"x/y": torch.zeros(1)}, manifest,
                        data=data)
    assert not junk.matches and "cannot be replayed from its inputs" in junk.reason
    # nor one trained on another node's shard
    other = replay_round(spec, program, start, shards[0], node, round_index, previous, manifest, data=data)
    assert not other.matches


# --- mid-round resume ---------------------------------------------------------------------------

class Killed(Exception):
    pass


def test_a_round_killed_mid_way_resumes_from_its_checkpoint_to_the_same_delta(
        spec: TaskSpec, program: Program, data: SplitData, shards: list[list[int]], tmp_path: Path) -> None:
    node, round_index, steps = 2, 1, 7
    plan = DilocoPlan(NODES, steps, ROUNDS, plan_of(spec).outer)
    start = {name: t + 0.01 for name, t in initial_weights(spec, program).items()}
    previous = inner_round(spec, program, start, shards[node], node, 0, plan=plan, data=data).state
    whole = inner_round(spec, program, start, shards[node], node, round_index, previous_state=previous, plan=plan,
                        data=data)
    checkpoint = RoundCheckpoint(tmp_path / "round.pt", every=2)

    def kill_after_five(h: int) -> None:
        if h == 5:
            raise Killed

    with pytest.raises(Killed):
        inner_round(spec, program, start, shards[node], node, round_index, previous_state=previous, plan=plan,
                    data=data, checkpoint=checkpoint, after_step=kill_after_five)
    assert checkpoint.path.exists()
    resumed = inner_round(spec, program, start, shards[node], node, round_index, previous_state=previous, plan=plan,
                          data=data, checkpoint=checkpoint)
    assert resumed.resumed_from == 4 and resumed.steps == steps
    assert tensor_digest(resumed.delta) == tensor_digest(whole.delta)
    assert tensor_digest(resumed.state) == tensor_digest(whole.state)
    assert resumed.final_loss == whole.final_loss
    assert not checkpoint.path.exists()  # removed once the round is done

    # a checkpoint of another round (other start weights) is not resumed from
    with pytest.raises(Killed):
        inner_round(spec, program, start, shards[node], node, round_index, previous_state=previous, plan=plan,
                    data=data, checkpoint=checkpoint, after_step=kill_after_five)
    other_start = initial_weights(spec, program)
    other = inner_round(spec, program, other_start, shards[node], node, round_index, previous_state=previous,
                        plan=plan, data=data, checkpoint=checkpoint)
    assert other.resumed_from == 0
    assert tensor_digest(other.delta) == tensor_digest(
        inner_round(spec, program, other_start, shards[node], node, round_index, previous_state=previous, plan=plan,
                    data=data).delta)


class NoisyLoss:
    """The built-in program with a loss that draws from the global RNG (as dropout or diffusion
    noise would): a resumed round must restore the RNG too to hand in the same delta."""

    def __init__(self, inner: Program) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def loss(self, module: torch.nn.Module, data: object, batch: torch.Tensor, step: int) -> torch.Tensor:
        loss: torch.Tensor = self.inner.loss(module, data, batch, step)  # type: ignore[arg-type]
        return loss * (1 + 0.5 * torch.rand(()))


def test_a_resumed_round_restores_the_rng_its_loss_draws_from(spec: TaskSpec, program: Program, data: SplitData,
                                                               shards: list[list[int]], tmp_path: Path) -> None:
    noisy: Program = NoisyLoss(program)  # type: ignore[assignment]
    start = initial_weights(spec, program)
    whole = inner_round(spec, noisy, start, shards[0], 0, 0, data=data)
    plain = inner_round(spec, program, start, shards[0], 0, 0, data=data)
    assert tensor_digest(whole.delta) != tensor_digest(plain.delta)  # the noise matters
    checkpoint = RoundCheckpoint(tmp_path / "round.pt", every=1)

    def kill_after_two(h: int) -> None:
        if h == 2:
            raise Killed

    with pytest.raises(Killed):
        inner_round(spec, noisy, start, shards[0], 0, 0, data=data, checkpoint=checkpoint, after_step=kill_after_two)
    resumed = inner_round(spec, noisy, start, shards[0], 0, 0, data=data, checkpoint=checkpoint)
    assert resumed.resumed_from == 2
    assert tensor_digest(resumed.delta) == tensor_digest(whole.delta)
    assert tensor_digest(resumed.state) == tensor_digest(whole.state)


class Book:
    """The two reads `previous_manifest` makes of a RoundBook, as its events would answer them."""

    def __init__(self, seatings: list[tuple[int, str, int]], uris: dict[tuple[int, str], str]) -> None:
        self._seatings, self._uris = seatings, uris

    def seatings(self, task_id: int) -> list[tuple[int, str, int]]:
        return self._seatings

    def delta_uris(self, task_id: int) -> dict[tuple[int, str], str]:
        return self._uris


def test_the_previous_manifest_is_the_latest_committed_round_since_the_seat_was_taken() -> None:
    from nnc.chain.rounds import RoundBook
    from nnc.distributed.history import previous_manifest

    a, b = "0xAaAa", "0xbBbB"
    # a holds seat 1 from round 1, commits rounds 1 and 2, misses 3 and 4 and is replaced by b from
    # round 5; b commits 5 and 6; a is seated again (seat 2) from round 7
    book = cast(RoundBook, Book([(1, a, 1), (2, "0xcc", 1), (1, b, 5), (2, a, 7)],
                                {(1, a): "m-a1", (2, a): "m-a2", (5, b): "m-b5", (6, b): "m-b6",
                                 (1, "0xcc"): "m-c1"}))
    found = {(node, r): previous_manifest(book, 1, node, r) for node in (a, b) for r in range(1, 9)}
    assert found[(a, 1)] is None  # its first round: fresh
    assert found[(a, 2)] == (1, "m-a1")
    assert found[(a, 3)] == found[(a, 4)] == (2, "m-a2")  # a straggler goes on from its last committed round
    assert found[(b, 5)] is None  # a replacement starts fresh
    assert found[(b, 6)] == (5, "m-b5") and found[(b, 7)] == (6, "m-b6")
    assert found[(a, 7)] is None and found[(a, 8)] is None  # seated again: fresh, its old seat's state is not its
    assert previous_manifest(book, 1, a.lower(), 2) == (1, "m-a1")  # addresses compare case-insensitively
