"""A third party's client completes a task with `cast` and one off-chain helper: it trains the
model (any way it likes; here `train`), stores it, and `scripts/submit-result.sh` proves the
result with `nnc zk prove-result` and sends `submitProof` and `revealResult` with cast. The
task then settles like any other, and the node is paid."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nnc.chain.market import Market
from nnc.chain.types import TaskStatus
from nnc.devnet import Devnet
from nnc.paths import REPO_ROOT
from nnc.runtimes.dispatch import train
from nnc.task import load_spec
from nnc.worker.daemon import Worker
from tests.e2e.harness import TINY_SPEC, advance_time, make_network, settings_for

pytestmark = pytest.mark.e2e


def test_a_task_completed_with_cast_and_the_proof_helper_settles(chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, [])
    node = chain.node_indices()[0]
    Worker(settings_for(chain, tmp_path, node), chain.client(node), net.store).join(200 * 10**18, 0.05)
    task_id = net.publish(replication=1, budget=10**18)
    market = Market(chain.client(node))
    assert market.proofs_enabled(task_id)
    market.apply(task_id)
    net.oracle.sync()
    net.poke()
    assert net.status(task_id) == TaskStatus.ASSIGNED

    trained = train(load_spec(TINY_SPEC), tmp_path / "model", node=chain.address(node))
    uri = net.store.put_file(trained.model_path)
    assert chain.deployment is not None
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "RPC_URL": chain.rpc_url,
           "PRIVATE_KEY": chain.key_file(node).read_text().strip(),
           "MARKET": chain.deployment.address_of("TaskMarket"), "NNC": str(Path(sys.executable).parent / "nnc"),
           "NNC_CONFIG": str(tmp_path / "absent.toml")}
    ran = subprocess.run([str(REPO_ROOT / "scripts" / "submit-result.sh"), str(task_id),
                          "0x" + trained.result_digest.hex(), uri], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=180)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert f"revealed {uri}" in ran.stdout
    record = json.loads((tmp_path / f"result-proof-{task_id}.json").read_text())
    assert record["worker"] == chain.address(node) and int(record["task_key"]) == market.statement_key(task_id)

    assert net.status(task_id) == TaskStatus.SUBMITTED
    net.step()  # the oracle fetches the revealed model and scores it
    advance_time(chain, net.market().settlement_params().challenge_window + 1)
    net.run_until("settled", lambda: net.status(task_id) == TaskStatus.SETTLED)
    assert net.market().claimable(chain.address(node)) > 0
    assert net.market().task(task_id).quality_score > 5_000  # scored, not the neutral default
