"""The deployment as tools read it (`<data_dir>/deployments/<chain id>/`): every contract's and
library's ABI as a plain array, its creation block and transaction, the parameters; with those
ABIs, forge's selector cache lets `cast decode-error` name the protocol's custom errors offline."""

from __future__ import annotations

import json
import subprocess
from dataclasses import asdict
from pathlib import Path

import pytest
from web3.exceptions import ContractLogicError

from nnc.chain.deployment_folder import deployment_folder
from nnc.devnet import Devnet
from nnc.paths import REPO_ROOT

pytestmark = pytest.mark.e2e

BIN = REPO_ROOT / "node_modules" / ".bin"


def test_the_folder_holds_abis_blocks_and_parameters(chain: Devnet) -> None:
    deployment = chain.deployment
    assert deployment is not None
    folder = deployment_folder(chain.data_dir, deployment.chain_id)
    assert json.loads((folder / "deployment.json").read_text()) == asdict(deployment)
    params = json.loads((folder / "params.json").read_text())
    assert params["challenge_window"] == chain.params.challenge_window and params["profile"] == "devnet"
    w3 = chain.client(0).w3
    named = {**deployment.addresses, **deployment.libraries}
    for name, address in named.items():
        abi = json.loads((folder / "abi" / f"{name}.json").read_text())
        assert isinstance(abi, list) and abi, name
        record = json.loads((folder / f"{name}.json").read_text())
        assert record["address"] == address and record["abi"] == abi
        receipt = w3.eth.get_transaction_receipt(record["transactionHash"])
        assert receipt["contractAddress"] == address and receipt["blockNumber"] == record["blockNumber"]
        assert deployment.start_block <= record["blockNumber"] and w3.eth.get_code(address)
    assert len(list((folder / "abi").glob("*.json"))) == len(named)


def test_forge_caches_the_selectors_and_cast_names_a_revert_offline(chain: Devnet, tmp_path: Path) -> None:
    assert chain.deployment is not None
    market = chain.client(2).contract("TaskMarket")
    with pytest.raises(ContractLogicError) as reverted:
        market.functions.cancel(999_999).call({"from": chain.address(2)})
    data = str(reverted.value.data)
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}  # a fresh machine: an empty selector cache
    folder = deployment_folder(chain.data_dir, chain.deployment.chain_id)
    before = subprocess.run([str(BIN / "cast"), "decode-error", data], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=60)
    assert before.returncode != 0  # unknown without the ABIs (and no network to look it up)
    subprocess.run([str(BIN / "forge"), "selectors", "cache", "--extra-abis-path", str(folder / "abi")],
                   capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=True)
    after = subprocess.run([str(BIN / "cast"), "decode-error", data], capture_output=True, text=True, env=env,
                           cwd=tmp_path, timeout=60)
    assert after.returncode == 0, after.stderr
    name = after.stdout.splitlines()[0]
    assert name.endswith(")") and "(" in name and not name.startswith("0x"), after.stdout
