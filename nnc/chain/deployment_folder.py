"""A deployment as tools read it: one folder per chain, `<data_dir>/deployments/<chain id>/`.

- `deployment.json`: the deployment file (addresses, libraries, the first block, each contract's
  creation block and transaction, the deployer and the profile's name);
- `params.json`: the protocol parameters it was deployed with (the profile's values);
- `abi/<Name>.json`: each contract's and library's ABI as a plain JSON array, as ethers, web3,
  viem and `forge selectors cache --extra-abis-path` load them (then `cast decode-error` names
  the protocol's custom errors offline);
- `<Name>.json`: `{address, abi, blockNumber, transactionHash}` of each deployed contract and
  library, the layout hardhat-deploy writes, for indexers that start at a contract's own block.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from nnc.chain.artifacts import Artifacts
from nnc.chain.deployment import Deployment
from nnc.chain.profiles import ProtocolParams
from nnc.jsonfile import write_json_atomic


def deployment_folder(data_dir: Path, chain_id: int) -> Path:
    return data_dir / "deployments" / str(chain_id)


def write_deployment_folder(folder: Path, deployment: Deployment, artifacts: Artifacts,
                            params: ProtocolParams | None) -> Path:
    """Writes `deployment` (and `params`, when known) into `folder`; returns it."""
    write_json_atomic(folder / "deployment.json", asdict(deployment))
    if params is not None:
        write_json_atomic(folder / "params.json", asdict(params))
    for name, address in sorted({**deployment.addresses, **deployment.libraries}.items()):
        abi = artifacts.get(name).abi
        write_json_atomic(folder / "abi" / f"{name}.json", abi)
        write_json_atomic(folder / f"{name}.json", {
            "address": address, "abi": abi, "blockNumber": deployment.blocks.get(name),
            "transactionHash": deployment.transactions.get(name)})
    return folder
