"""Inference tasks on a real devnet: two sandboxed workers run a tiny MLP's init weights over an
.npz of digits, agree on the outputs' digest, the task settles and the requester's `nnc task
result` writes outputs equal to the model's own forward pass; a spot-checked node that made up
a shard is caught by the drawn verifier's re-run and slashed by the DAO; a replica that made up
its outputs is outvoted, slashed and unpaid, and the books close; a private task's outputs are
sealed and open only with the requester's key; a library model (`base_model`) runs as an
inference task and agrees with `nnc model run`; a co-funded inference task settles and its
funders share the leftover pro rata."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from nnc.chain.deploy import NNT
from nnc.chain.dispute import Arbitration
from nnc.chain.funding import CoFunding
from nnc.chain.market import Market
from nnc.chain.models import ModelMetadata, Models
from nnc.chain.registry import Registry
from nnc.chain.types import ETH, Bond, TaskStatus
from nnc.cli import cli
from nnc.devnet import DEPLOYER, REQUESTER, Devnet
from nnc.inference import outputs_digest, read_outputs, run_inference, shard_digest, write_outputs
from nnc.storage import LocalStore, Store
from nnc.storage.crypto import generate_key, is_encrypted, public_key_hex
from nnc.task import DATASET_SHAPES, ModelSpec, TaskSpec, parse_spec
from nnc.task.cofund import CofundOptions, open_cofunded_task
from nnc.task.publish import PublishOptions, publish_task
from nnc.task.spec import PrivacySpec
from nnc.training.init_weights import read_init_weights
from nnc.training.models import build_model
from nnc.training.program_package import ProgramFiles
from nnc.verification.scenario import COLLATERAL as CHECK_COLLATERAL
from nnc.verification.scenario import STAKE, CheckParams, Scenario
from nnc.zk import agreement_tag
from tests.e2e.harness import advance_time, make_network
from tests.e2e.test_cofunding import SECOND, THIRD
from tests.e2e.test_economic_security import BUDGET, COLLATERAL, assert_books_close, challenge_and_slash, events
from tests.inference_specs import inference_document, write_inputs, write_weights

INPUTS = 200  # 4 shards of 64 (the last 8)
TRAINER = 3


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("inference")
    return write_weights(folder / "mlp.safetensors"), write_inputs(folder / "inputs.npz", INPUTS)


def stored_spec(store: Store, files: tuple[Path, Path], **inference: Any) -> TaskSpec:
    weights, inputs = files
    document = inference_document(weights, INPUTS, dataset=inputs, **inference)
    document["init"]["uri"] = store.put_file(weights)
    document["dataset"]["uri"] = store.put_file(inputs)
    return parse_spec(document)


def forward(weights: Path, inputs: Path) -> np.ndarray:
    module = build_model(ModelSpec(kind="mlp", hidden=[16], channels=[]), DATASET_SHAPES["sklearn-digits"])
    module.load_state_dict(read_init_weights(weights))
    with np.load(inputs) as archive, torch.no_grad():
        out: np.ndarray = module.eval()(torch.from_numpy(archive["inputs"].reshape(INPUTS, -1))).numpy()
    return out


def test_a_replicated_inference_task_settles_and_delivers_the_models_outputs(
        chain: Devnet, tmp_path: Path, files: tuple[Path, Path]) -> None:
    net = make_network(chain, tmp_path, chain.node_indices()[:2], sandbox=True)
    spec = stored_spec(net.store, files)
    task_id = net.publish(spec, replication=2)
    net.settle(task_id)
    market = net.market()
    task = market.task(task_id)
    digests = {market.result_of(task_id, node) for node in market.assignees(task_id)}
    assert digests == {task.result_digest} and not task.tied  # both replicas agree bitwise
    assert (task.quality_score, task.rejected) == (10_000, False)  # the oracle checked the outputs file
    assert all(market.claimable(node, ETH) > 0 for node in market.assignees(task_id))

    env = {"NNC_RPC_URL": chain.rpc_url, "NNC_KEY_FILE": str(chain.key_file(REQUESTER)),
           "NNC_DEPLOYMENT_FILE": str(chain.deployment_file), "NNC_DATA_DIR": str(tmp_path / "cli"),
           "NNC_STORAGE_URL": f"local://{tmp_path / 'store'}"}
    result = CliRunner().invoke(cli, ["task", "result", str(task_id), str(tmp_path / "outputs.npz")], env=env)
    assert result.exit_code == 0, result.output
    assert spec.inference is not None
    shards = read_outputs(tmp_path / "outputs.npz", spec.inference)
    assert np.allclose(np.concatenate(shards), forward(*files), atol=1e-5)
    digest = outputs_digest(spec, [shard_digest(s, spec.inference.decimals) for s in shards])
    if market.proofs_enabled(task_id):  # the chain holds the agreement tag the nodes proved
        digest = agreement_tag(market.statement_key(task_id), digest).to_bytes(32, "big")
    assert digest == task.result_digest


def test_a_node_that_made_up_a_shard_is_caught_by_the_spot_check_and_slashed(
        chain: Devnet, tmp_path: Path, files: tuple[Path, Path]) -> None:
    scenario = Scenario(chain, LocalStore(tmp_path / "store"), tmp_path, CheckParams(segments=2, tolerance=1e-4))
    spec = stored_spec(scenario.store, files)
    assert spec.inference is not None
    task_id = scenario.publish(spec, TRAINER)
    honest = run_inference(spec, tmp_path / "trainer", dataset_file=files[1], files=ProgramFiles(init=files[0]))
    shards = read_outputs(honest.outputs_path, spec.inference)
    last = spec.inference.shards - 1  # re-run by every check (the others are drawn)
    shards[last] = np.random.default_rng(0).normal(size=shards[last].shape).astype(np.float32)
    forged = write_outputs(tmp_path / "forged.npz", shards)
    digest = outputs_digest(spec, [shard_digest(s, spec.inference.decimals) for s in shards])
    trainer = scenario.clients[TRAINER].address
    Market(scenario.clients[TRAINER]).submit_result(task_id, digest, scenario.store.put_file(forged))

    verifier, report = scenario.verify(task_id)
    assert not report.passed and report.reason.startswith(f"shard {last} "), report.reason
    assert verifier.lower() != trainer.lower()
    market = Market(scenario.requester)
    assert market.task(task_id).status == TaskStatus.DISPUTED
    dispute_id = Arbitration(scenario.voter).dispute_of_task(task_id)
    assert scenario.arbitrate(dispute_id, juror_seed=random.Random(9).getrandbits(32))  # the juror re-runs too
    assert market.participation(task_id, trainer).bond == Bond.SLASHED
    assert Registry(scenario.requester).node(trainer).staked == STAKE - CHECK_COLLATERAL


def test_a_replica_that_made_up_outputs_is_outvoted_slashed_and_unpaid_and_the_books_close(
        chain: Devnet, tmp_path: Path, files: tuple[Path, Path]) -> None:
    """r = 3: two honest workers and a node that runs no model and commits made-up outputs (a
    valid outputs file of noise, digest and all). The honest pair is the majority: a challenge
    slashes the liar, the oracle checks the majority's outputs, and settlement pays only the pair
    by the formula: `sum(net payouts) + fee + refund == budget`, the liar's share refunded."""
    nodes = chain.node_indices()[:3]
    net = make_network(chain, tmp_path, nodes[:2])
    spec = stored_spec(net.store, files)
    assert spec.inference is not None
    liar_client = chain.client(nodes[2])
    Registry(liar_client).register(b"\x02" * 32, 1)
    Registry(liar_client).stake(200 * NNT)
    liar = Market(liar_client)
    task_id = net.publish(spec, budget=BUDGET, replication=3, collateral=COLLATERAL)
    liar.apply(task_id)
    net.step()  # the daemons apply, the oracle assigns, the daemons run the model and commit
    rng = np.random.default_rng(1)
    made_up = [rng.normal(size=(end - start, 10)).astype(np.float32)
               for start, end in map(spec.inference.shard_bounds, range(spec.inference.shards))]
    uri = net.store.put_file(write_outputs(tmp_path / "made-up.npz", made_up))
    liar.submit_result(task_id, outputs_digest(spec, [shard_digest(s, spec.inference.decimals) for s in made_up]), uri)
    net.run_until("every result in", lambda: net.status(task_id) == TaskStatus.SUBMITTED)
    liar.reveal_if_due(task_id, uri)
    market = net.market()
    honest = [w.node for w in net.workers]
    assert len({market.result_of(task_id, n) for n in honest}) == 1
    assert market.result_of(task_id, liar_client.address) != market.result_of(task_id, honest[0])

    challenge_and_slash(chain, task_id, liar_client.address)
    assert market.participation(task_id, liar_client.address).bond == Bond.SLASHED
    assert Registry(liar_client).node(liar_client.address).staked == 200 * NNT - COLLATERAL
    net.step()  # the oracle checks the (now unanimous) outputs
    advance_time(chain, market.settlement_params().challenge_window + 1)
    net.run_until("task settled", lambda: net.status(task_id) == TaskStatus.SETTLED)
    paid = assert_books_close(market, task_id, BUDGET)
    assert set(paid) == set(honest) and all(amount > 0 for amount in paid.values())
    assert market.claimable(liar_client.address) == 0
    assert events(market, "TaskSettled", task_id)[0]["refund"] >= BUDGET // 3  # the liar's share goes back


def test_a_private_inference_tasks_outputs_open_only_with_the_requesters_key(
        chain: Devnet, tmp_path: Path, files: tuple[Path, Path]) -> None:
    net = make_network(chain, tmp_path, chain.node_indices()[:1])
    requester_key = generate_key(tmp_path / "requester.key")
    spec = stored_spec(net.store, files)
    private = spec.model_copy(update={"privacy": PrivacySpec(requester_key=public_key_hex(requester_key))})
    task_id = net.publish(private, replication=1)
    net.run_until("submitted", lambda: net.status(task_id) == TaskStatus.SUBMITTED)
    net.step()  # the node reveals; the oracle cannot read sealed outputs and leaves them unscored
    revealed = net.market().revealed_results(task_id)
    assert is_encrypted(net.store.get_file(str(revealed[0][1]), tmp_path / "sealed.npz"))
    assert net.oracle.index.task(task_id)["quality"] is None  # type: ignore[index]

    env = {"NNC_RPC_URL": chain.rpc_url, "NNC_KEY_FILE": str(chain.key_file(REQUESTER)),
           "NNC_DEPLOYMENT_FILE": str(chain.deployment_file), "NNC_DATA_DIR": str(tmp_path / "cli"),
           "NNC_STORAGE_URL": f"local://{tmp_path / 'store'}"}
    refused = CliRunner().invoke(cli, ["task", "result", str(task_id), str(tmp_path / "o.npz")], env=env)
    assert refused.exit_code != 0
    assert "is sealed to the requester: give the key that opens it" in str(refused.exception)
    opened = CliRunner().invoke(cli, ["task", "result", str(task_id), str(tmp_path), "--key",
                                      str(tmp_path / "requester.key")], env=env)
    assert opened.exit_code == 0, opened.output
    assert private.inference is not None
    shards = read_outputs(tmp_path / f"outputs-{task_id}.npz", private.inference)
    assert np.allclose(np.concatenate(shards), forward(*files), atol=1e-5)


def test_an_inference_task_runs_a_library_model_and_agrees_with_nnc_model_run(
        chain: Devnet, tmp_path: Path, files: tuple[Path, Path]) -> None:
    """A trained task's model, registered; a second requester's inference task names it as its
    `base_model`: two sandboxed workers fetch and check it, agree, the task settles, and the
    delivered logits pick the classes `nnc model run` prints for the same inputs."""
    net = make_network(chain, tmp_path, chain.node_indices()[:2], sandbox=True)
    trained = net.publish(replication=1)
    net.settle(trained)
    market = net.market()
    revealed = market.revealed_results(trained)
    model_id = Models(chain.client(REQUESTER)).register_from_task(trained, ModelMetadata(
        model_uri=str(revealed[0][1]), licence="MIT", framework="torch", metric="accuracy",
        spec_uri=str(market.published_event(trained)["specURI"])))

    document = inference_document(files[0], INPUTS, dataset=files[1])
    del document["init"]
    document["base_model"] = {"id": model_id}
    document["dataset"]["uri"] = net.store.put_file(files[1])
    spec = parse_spec(document)
    task_id, _ = publish_task(chain.client(DEPLOYER), net.store, spec, PublishOptions(
        budget=10**18, replication=2, collateral=10 * NNT, apply_window=60, deadline=600))
    net.settle(task_id)
    task = market.task(task_id)
    assert {market.result_of(task_id, n) for n in market.assignees(task_id)} == {task.result_digest}

    env = {"NNC_RPC_URL": chain.rpc_url, "NNC_KEY_FILE": str(chain.key_file(DEPLOYER)),
           "NNC_DEPLOYMENT_FILE": str(chain.deployment_file), "NNC_DATA_DIR": str(tmp_path / "cli"),
           "NNC_STORAGE_URL": f"local://{tmp_path / 'store'}"}
    delivered = CliRunner().invoke(cli, ["task", "result", str(task_id), str(tmp_path / "out.npz")], env=env)
    assert delivered.exit_code == 0, delivered.output
    assert spec.inference is not None
    logits = np.concatenate(read_outputs(tmp_path / "out.npz", spec.inference))
    with np.load(files[1]) as archive:
        np.savez(tmp_path / "some.npz", inputs=archive["inputs"][:8])
    ran = CliRunner().invoke(cli, ["model", "run", str(model_id), "--input", str(tmp_path / "some.npz"), "--json"],
                             env=env)
    assert ran.exit_code == 0, ran.output
    assert [p["label"] for p in json.loads(ran.stdout)["predictions"]] == logits[:8].argmax(axis=1).tolist()


def test_a_cofunded_inference_task_settles_and_its_funders_share_the_leftover_pro_rata(
        chain: Devnet, tmp_path: Path, files: tuple[Path, Path]) -> None:
    """Three funders pay for one inference task through a CoFundingPool; two workers run it and
    are paid by the formula, the rest returns to the pool and each funder claims its share of it:
    the books close to the wei."""
    net = make_network(chain, tmp_path, chain.node_indices()[:2])
    spec = stored_spec(net.store, files)
    lead = chain.client(REQUESTER)
    options = CofundOptions(
        task=PublishOptions(budget=10**18, replication=2, collateral=10 * NNT, apply_window=60, deadline=600),
        amount=5 * 10**17 + 1, funding_window=40)
    pool_address, _ = open_cofunded_task(lead, net.store, spec, options)
    contributions = {REQUESTER: 5 * 10**17 + 1, SECOND: 4 * 10**17 + 3, THIRD: 10**17 + 5}
    CoFunding(chain.client(SECOND)).contribute(pool_address, contributions[SECOND])
    CoFunding(chain.client(THIRD)).contribute(pool_address, contributions[THIRD])
    budget = sum(contributions.values())
    task_id = CoFunding(chain.client(SECOND)).publish(pool_address)

    net.settle(task_id)
    market = net.market()
    task = market.task(task_id)
    assert {market.result_of(task_id, n) for n in market.assignees(task_id)} == {task.result_digest}
    paid = assert_books_close(market, task_id, budget)
    assert len(paid) == 2 and all(amount > 0 for amount in paid.values())
    refund = int(events(market, "TaskSettled", task_id)[0]["refund"])
    assert refund > 0 and market.claimable(pool_address) == refund
    got = {account: CoFunding(chain.client(account)).claim(pool_address) for account in (SECOND, THIRD, REQUESTER)}
    assert got[SECOND] == refund * contributions[SECOND] // budget
    assert got[THIRD] == refund * contributions[THIRD] // budget
    assert got[REQUESTER] == refund - got[SECOND] - got[THIRD]  # the lead takes the rounding
    assert chain.client(0).w3.eth.get_balance(pool_address) == 0
