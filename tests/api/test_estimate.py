"""One estimator: `nnc task dry-run` and `POST /api/specs/estimate` give the same figures for the
same spec, priced with the fee and settlement weights of the chain they read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from nnc.api import ApiContext, create_app
from nnc.api.estimate import DRY_RUN_STEPS
from nnc.chain.deploy import deploy_protocol
from nnc.chain.settlement import initial_settlement_params, node_payout
from nnc.devnet import DEPLOYER, DEVNET_PARAMS, Devnet
from nnc.node.estimate import suggested_budget
from nnc.paths import REPO_ROOT
from nnc.storage import LocalStore
from nnc.task import compute_units, load_spec
from tests.e2e.harness import settings_for

pytestmark = pytest.mark.e2e

SPEC = Path(__file__).resolve().parents[1] / "data" / "tiny-spec.json"
MEASURED = {"seconds_per_step", "estimated_seconds", "peak_memory_mb", "benchmark_gflops", "training_gflops",
            "seconds_by_class"}
"""What differs between two runs of the same dry run on one machine (timings and memory)."""


def cli_estimate(rpc_url: str, deployment_file: Path, data_dir: Path, *extra: str) -> dict[str, Any]:
    """`nnc task dry-run --json` in its own process, as a requester runs it."""
    env = {**os.environ, "NNC_RPC_URL": rpc_url, "NNC_DEPLOYMENT_FILE": str(deployment_file),
           "NNC_DATA_DIR": str(data_dir), "PYTHONPATH": str(REPO_ROOT)}
    env.pop("NNC_PRIVATE_KEY", None)
    env.pop("NNC_KEY_FILE", None)
    done = subprocess.run([sys.executable, "-m", "nnc", "--no-progress", "task", "dry-run", str(SPEC),
                           "--steps", str(DRY_RUN_STEPS), "--json", *extra],
                          env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def api_estimate(devnet: Devnet, deployment_file: Path, data_dir: Path) -> dict[str, Any]:
    settings = settings_for(devnet, data_dir, DEPLOYER).model_copy(update={"deployment_file": deployment_file})
    app = create_app(ApiContext.from_settings(settings, store=LocalStore(data_dir / "store")))
    response = app.test_client().post("/api/specs/estimate", json=json.loads(SPEC.read_text()))
    assert response.status_code == 200, response.get_data(as_text=True)
    result: dict[str, Any] = response.get_json()
    return result


def test_cli_and_api_give_the_same_estimate(chain: Devnet, tmp_path: Path) -> None:
    cli = cli_estimate(chain.rpc_url, chain.deployment_file, tmp_path / "cli")
    api = api_estimate(chain, chain.deployment_file, tmp_path / "api")
    assert set(cli) == set(api)
    assert {k: v for k, v in cli.items() if k not in MEASURED} == {k: v for k, v in api.items() if k not in MEASURED}
    assert cli["source"] == "chain" and cli["steps_measured"] == DRY_RUN_STEPS and cli["loss_after"] is not None
    for figures in (cli, api):
        assert figures["seconds_per_step"] > 0 and set(figures["seconds_by_class"]) == {"0", "1", "2", "3"}


def test_node_earnings_follow_the_fee_and_weights_on_chain(chain: Devnet, tmp_path: Path) -> None:
    params = replace(DEVNET_PARAMS, protocol_fee_bps=750, base_weight_bps=7000, quality_weight_bps=2000,
                     reputation_weight_bps=1000)
    deployment = deploy_protocol(chain.client(DEPLOYER, with_deployment=False), params)
    deployment_file = tmp_path / "deployment-fee-750.json"
    deployment.save(deployment_file)
    units = compute_units(load_spec(SPEC))
    budget = suggested_budget(units, 10**12, 1)
    settlement = initial_settlement_params(params)
    default = initial_settlement_params(DEVNET_PARAMS)
    assert node_payout(budget, 1, units, 10**12, None, 0, settlement).net != \
        node_payout(budget, 1, units, 10**12, None, 0, default).net
    expected = {"suggested_budget_wei": str(budget), "protocol_fee_bps": 750, "source": "chain",
                "settlement_weights_bps": {"base": 7000, "quality": 2000, "reputation": 1000},
                "node_net_wei": {"lowest": str(node_payout(budget, 1, units, 10**12, None, 0, settlement).net),
                                 "highest": str(node_payout(budget, 1, units, 10**12, 10_000, 10_000, settlement).net)}}
    for figures in (cli_estimate(chain.rpc_url, deployment_file, tmp_path / "cli"),
                    api_estimate(chain, deployment_file, tmp_path / "api")):
        assert {k: figures[k] for k in expected} == expected
        assert deployment.address_of("MarketConfig") in figures["source_detail"]


def test_the_offline_cli_prices_with_the_deploy_profile_and_says_so(tmp_path: Path) -> None:
    figures = cli_estimate("http://127.0.0.1:9", tmp_path / "no-deployment.json", tmp_path, "--profile", "production")
    assert figures["source"] == "profile" and "production" in figures["source_detail"]
    assert "no deployment file" in figures["source_detail"]
    assert figures["protocol_fee_bps"] == 200
    assert figures["suggested_budget_wei"] == str(suggested_budget(compute_units(load_spec(SPEC)), 10**12, 1))
