"""`nnc deploy` to a chain of its own (a fresh anvil standing in for a public chain), signed from
an encrypted keystore: a run cut off midway (the connection lost at a transaction) is resumed by
the next run without sending again what was done, and a run after a complete one sends nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nnc.chain.artifacts import Artifacts
from nnc.chain.client import ChainClient, connect_web3
from nnc.chain.deployment import Deployment
from nnc.chain.devnet import Anvil
from nnc.chain.governance import roles_held
from nnc.cli import cli
from nnc.errors import ChainUnavailableError
from nnc.keystore import create_keystore

pytestmark = pytest.mark.e2e

PRODUCTION = ["deploy", "--profile", "production", "--allow-single-party-zk-keys"]
"""Production timings with the devnet zk keys, which the production profile otherwise refuses."""


def test_an_interrupted_production_deploy_resumes_and_a_finished_one_sends_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Anvil() as anvil:
        keystore = tmp_path / "deployer.json"
        create_keystore(keystore, "correct horse", anvil.private_keys[0])
        (tmp_path / "passphrase").write_text("correct horse\n")
        env = {"NNC_CONFIG": str(tmp_path / "absent.toml"), "NNC_RPC_URL": anvil.rpc_url,
               "NNC_KEYSTORE": str(keystore), "NNC_KEYSTORE_PASSPHRASE_FILE": str(tmp_path / "passphrase"),
               "NNC_DATA_DIR": str(tmp_path / "data"), "NNC_DEPLOYMENT_FILE": str(tmp_path / "deployment.json"),
               "NNC_PRIVATE_KEY": None, "NNC_KEY_FILE": None}
        w3 = connect_web3(anvil.rpc_url)
        deployer = w3.to_checksum_address(anvil.addresses[0])
        journal_path = tmp_path / "data" / "deployments" / str(anvil.chain_id) / "journal.json"

        real = ChainClient.transact
        sent = {"count": 0}

        def connection_lost_at_the_25th(self: ChainClient, fn: Any, value: int = 0, gas: int | None = None,
                                        context: str = "") -> Any:
            sent["count"] += 1
            if sent["count"] == 25:
                raise ChainUnavailableError("the connection to the chain was lost")
            return real(self, fn, value=value, gas=gas, context=context)

        with monkeypatch.context() as patched:
            patched.setattr(ChainClient, "transact", connection_lost_at_the_25th)
            first = CliRunner().invoke(cli, PRODUCTION, env=env)
        assert isinstance(first.exception, ChainUnavailableError), first.output
        steps = json.loads(journal_path.read_text())["steps"]
        done = [step for step in steps if step["done"]]
        created = {step["label"]: step["address"] for step in done if step["kind"] == "deploy"}
        assert len(created) > 10 and not steps[-1]["done"]  # cut off at a pending transaction

        second = CliRunner().invoke(cli, PRODUCTION, env=env)
        assert second.exit_code == 0, second.output
        assert "done by an earlier run" in second.output and f"{len(done)} done by" in second.output
        deployment = Deployment.load(tmp_path / "deployment.json")
        for name, address in created.items():  # what the first run created is kept, not created again
            assert {**deployment.addresses, **deployment.libraries}[name] == address
        assert deployment.start_block == min(step["block"] for step in done)
        client = ChainClient(w3, Artifacts(), deployment, None)
        contracts = {name: client.contract(name) for name in ("NodeRegistry", "TaskMarket", "RewardsPool",
                                                               "Arbitration", "NNCTimelock")}
        assert roles_held(deployer, contracts) == []  # the hand-over completed
        assert contracts["NodeRegistry"].functions.market().call() == deployment.address_of("TaskMarket")

        nonce = w3.eth.get_transaction_count(deployer)
        third = CliRunner().invoke(cli, PRODUCTION, env=env)
        assert third.exit_code == 0 and "0 step(s) sent now" in third.output, third.output
        assert w3.eth.get_transaction_count(deployer) == nonce
        assert Deployment.load(tmp_path / "deployment.json") == deployment

        other = CliRunner().invoke(cli, ["deploy", "--profile", "devnet"], env=env)
        assert "belongs to another deployment" in str(other.exception)
