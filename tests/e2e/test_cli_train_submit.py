"""A node that trains by hand: `nnc task train` reproduces the worker's training (same digest) with a
progress bar of steps, and `nnc task submit` stores the model (a bar of bytes) and proves and sends
the result (a bar of stages); the task then settles like any other."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from nnc.chain.market import Market
from nnc.chain.registry import Registry
from nnc.chain.types import TaskStatus
from nnc.cli import cli
from nnc.devnet import Devnet
from nnc.runtimes.dispatch import train
from nnc.task import load_spec
from nnc.worker.daemon import Worker
from tests.e2e.harness import TINY_SPEC, advance_time, make_network, settings_for

pytestmark = pytest.mark.e2e


def test_train_and_submit_by_hand_with_progress_bars(chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, [])
    node = chain.node_indices()[0]
    Worker(settings_for(chain, tmp_path, node), chain.client(node), net.store).join(200 * 10**18, 0.05)
    task_id = net.publish(replication=1, budget=10**18)
    market = Market(chain.client(node))
    market.apply(task_id)
    net.oracle.sync()
    net.poke()  # assigns the task to its only applicant
    assert net.status(task_id) == TaskStatus.ASSIGNED
    assert Registry(chain.client(node)).node(chain.address(node)).registered

    env = {"NNC_CONFIG": str(tmp_path / "absent.toml"), "NNC_RPC_URL": chain.rpc_url,
           "NNC_DEPLOYMENT_FILE": str(chain.deployment_file), "NNC_KEY_FILE": str(chain.key_file(node)),
           "NNC_STORAGE_URL": f"local://{tmp_path / 'store'}", "NNC_DATA_DIR": str(tmp_path / "cli"),
           "NNC_PRIVATE_KEY": None}
    workdir = tmp_path / "by-hand"
    trained = CliRunner().invoke(cli, ["--progress", "task", "train", str(TINY_SPEC), "--workdir", str(workdir)],
                                 env=env)
    assert trained.exit_code == 0, trained.output
    reference = train(load_spec(TINY_SPEC), tmp_path / "reference", node=chain.address(node))
    assert f"result digest  0x{reference.result_digest.hex()}" in trained.stdout
    # the chain is the signing key's node's own: it starts from that node's genesis
    assert f"chain head     0x{reference.chain_head.hex()} (node {chain.address(node).lower()})" in trained.stdout
    assert trained.stderr.split("\r")[-1].startswith("training tiny digits MLP (tests): 100%")

    submitted = CliRunner().invoke(cli, ["--progress", "task", "submit", str(task_id), "--workdir", str(workdir)],
                                   env=env)
    assert submitted.exit_code == 0, submitted.output
    assert f"submitted 0x{reference.result_digest.hex()}" in submitted.stdout
    assert "uploading model.pt: 100%" in submitted.stderr and "submitting: 100%" in submitted.stderr
    assert net.status(task_id) == TaskStatus.SUBMITTED
    net.step()  # the oracle evaluates the model the node stored
    advance_time(chain, net.market().settlement_params().challenge_window + 1)
    net.run_until("settled", lambda: net.status(task_id) == TaskStatus.SETTLED)


def test_train_as_another_node_reproduces_its_chain_but_cannot_be_submitted(chain: Devnet, tmp_path: Path) -> None:
    """`--node ADDRESS` reproduces another node's chain (same digest, that node's chain head);
    `nnc task submit` refuses such a work directory, whose chain is not the submitter's."""
    net = make_network(chain, tmp_path, [])
    node, other = chain.node_indices()[:2]
    Worker(settings_for(chain, tmp_path, node), chain.client(node), net.store).join(200 * 10**18, 0.05)
    task_id = net.publish(replication=1, budget=10**18)
    Market(chain.client(node)).apply(task_id)
    net.oracle.sync()
    net.poke()
    env = {"NNC_CONFIG": str(tmp_path / "absent.toml"), "NNC_RPC_URL": chain.rpc_url,
           "NNC_DEPLOYMENT_FILE": str(chain.deployment_file), "NNC_KEY_FILE": str(chain.key_file(node)),
           "NNC_STORAGE_URL": f"local://{tmp_path / 'store'}", "NNC_DATA_DIR": str(tmp_path / "cli"),
           "NNC_PRIVATE_KEY": None}
    workdir = tmp_path / "as-other"
    trained = CliRunner().invoke(cli, ["task", "train", str(TINY_SPEC), "--workdir", str(workdir),
                                       "--node", chain.address(other)], env=env)
    assert trained.exit_code == 0, trained.output
    theirs = train(load_spec(TINY_SPEC), tmp_path / "theirs", node=chain.address(other))
    assert f"chain head     0x{theirs.chain_head.hex()} (node {chain.address(other).lower()})" in trained.stdout
    assert f"result digest  0x{theirs.result_digest.hex()}" in trained.stdout

    submitted = CliRunner().invoke(cli, ["task", "submit", str(task_id), "--workdir", str(workdir)], env=env)
    assert submitted.exit_code != 0
    assert (f"does not start from the genesis of node {chain.address(node).lower()} (the file says node "
            f"{chain.address(other).lower()})") in submitted.output
    assert not any(Market(chain.client(node)).result_of(task_id, chain.address(node)))

    bad = CliRunner().invoke(cli, ["task", "train", str(TINY_SPEC), "--workdir", str(workdir), "--node", "0x12"],
                             env=env)
    assert bad.exit_code != 0 and "20 bytes in hex" in bad.output
    keyless = CliRunner().invoke(cli, ["task", "train", str(TINY_SPEC), "--workdir", str(tmp_path / "keyless")],
                                 env={**env, "NNC_KEY_FILE": None})
    assert keyless.exit_code != 0 and "no node to train as" in keyless.output


def test_submit_without_a_trained_model_says_what_to_do(chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, [])
    task_id = net.publish(replication=1, budget=10**18)
    env = {"NNC_CONFIG": str(tmp_path / "absent.toml"), "NNC_RPC_URL": chain.rpc_url,
           "NNC_DEPLOYMENT_FILE": str(chain.deployment_file), "NNC_KEY_FILE": str(chain.key_file(1)),
           "NNC_STORAGE_URL": f"local://{tmp_path / 'store'}", "NNC_DATA_DIR": str(tmp_path / "cli")}
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(cli, ["task", "submit", str(task_id), "--workdir", str(tmp_path / "empty")], env=env)
    assert result.exit_code != 0
    assert "model.pt not found: train first with `nnc task train SPEC" in result.output
