"""One store for every URI scheme, built from settings, and the `nnc data` commands."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from nnc.cli import cli
from nnc.errors import NotARecipientError, StorageError
from nnc.settings import load_settings
from nnc.storage import IpfsStore, LocalStore, MultiStore, open_store, store_from_settings
from nnc.storage.arweave import ArweaveStore
from nnc.storage.arweave_tx import save_wallet
from nnc.storage.services import ArLocal, IpfsNode


@pytest.fixture
def wallet_file(tmp_path: Path, arweave_wallet: dict[str, str]) -> Path:
    return save_wallet(arweave_wallet, tmp_path / "wallet.json")


@pytest.fixture
def env(tmp_path: Path, ipfs_node: IpfsNode, arlocal: ArLocal, wallet_file: Path) -> dict[str, str]:
    """Settings for the CLI: default backend IPFS, Arweave and local configured for reads and --backend."""
    return {"NNC_CONFIG": str(tmp_path / "absent.toml"), "NNC_DATA_DIR": str(tmp_path / "data"),
            "NNC_STORAGE_URL": f"ipfs+{ipfs_node.url}", "NNC_ARWEAVE_URL": arlocal.url,
            "NNC_ARWEAVE_WALLET": str(wallet_file)}


def test_open_store_forms(ipfs_node: IpfsNode, arlocal: ArLocal, wallet_file: Path, tmp_path: Path) -> None:
    assert isinstance(open_store(f"ipfs+{ipfs_node.url}"), IpfsStore)
    store = open_store(f"ar+{arlocal.url}/", wallet_file)
    assert isinstance(store, ArweaveStore) and store.wallet is not None
    assert isinstance(open_store(f"local://{tmp_path}"), LocalStore)
    with pytest.raises(StorageError, match="unsupported storage URL 'ipfs://x'"):
        open_store("ipfs://x")


def test_one_store_reads_every_scheme(ipfs_node: IpfsNode, arlocal: ArLocal, wallet_file: Path,
                                      tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, storage_url=f"ipfs+{ipfs_node.url}", arweave_url=arlocal.url,
                             arweave_wallet=wallet_file)
    store = store_from_settings(settings)
    assert isinstance(store, MultiStore) and set(store.backends) == {"ipfs", "local", "arweave"}
    uris = {name: store.backend(name).put_bytes(f"via {name}".encode()) for name in ("local", "ipfs", "arweave")}
    assert uris["local"].startswith("local://") and uris["ipfs"].startswith("ipfs://")
    assert uris["arweave"].startswith("ar://") and store.put_bytes(b"x").startswith("ipfs://")
    for name, uri in uris.items():
        assert store.get_bytes(uri) == f"via {name}".encode()
        assert store.exists(uri)
        assert store.get_file(uri, tmp_path / name).read_bytes() == f"via {name}".encode()
    with pytest.raises(StorageError, match="no configured backend reads 's3://bucket/x'"):
        store.get_bytes("s3://bucket/x")
    local_only = store_from_settings(load_settings(data_dir=tmp_path))
    with pytest.raises(StorageError, match="configured: local://"):
        local_only.get_bytes(uris["ipfs"])
    with pytest.raises(StorageError, match="'arweave' is not configured"):
        local_only.backend("arweave")


def test_cli_put_get_on_each_backend(env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    source = tmp_path / "dataset.csv"
    source.write_bytes(os.urandom(700_000))
    for backend, scheme in (("ipfs", "ipfs://"), ("arweave", "ar://"), ("local", "local://")):
        put = runner.invoke(cli, ["data", "put", str(source), "--backend", backend], env=env)
        assert put.exit_code == 0, put.output
        uri = put.output.strip().splitlines()[-1]
        assert uri.startswith(scheme)
        dest = tmp_path / f"copy-{backend}.csv"
        got = runner.invoke(cli, ["data", "get", uri, str(dest)], env=env)
        assert got.exit_code == 0, got.output
        assert dest.read_bytes() == source.read_bytes()
    default = runner.invoke(cli, ["data", "put", str(source)], env=env)
    assert default.output.strip().startswith("ipfs://")


def test_cli_encrypted_put_and_get(env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    keys = {}
    for who in ("requester", "node", "outsider"):
        result = runner.invoke(cli, ["data", "keygen", "--out", str(tmp_path / f"{who}.key")], env=env)
        assert result.exit_code == 0, result.output
        keys[who] = result.output.strip()
    source = tmp_path / "model.bin"
    source.write_bytes(os.urandom(200_000))
    put = runner.invoke(cli, ["data", "put", str(source), "--encrypt-to", keys["requester"],
                              "--encrypt-to", keys["node"]], env=env)
    assert put.exit_code == 0, put.output
    uri = put.output.strip()
    for who in ("requester", "node"):
        dest = tmp_path / f"{who}.bin"
        got = runner.invoke(cli, ["data", "get", uri, str(dest), "--key", str(tmp_path / f"{who}.key")], env=env)
        assert got.exit_code == 0, got.output
        assert dest.read_bytes() == source.read_bytes()
    denied = runner.invoke(cli, ["data", "get", uri, str(tmp_path / "stolen.bin"), "--key",
                                 str(tmp_path / "outsider.key")], env=env)
    assert isinstance(denied.exception, NotARecipientError)
    assert not (tmp_path / "stolen.bin").exists()
    bad = runner.invoke(cli, ["data", "put", str(source), "--encrypt-to", "zz"], env=env)
    assert "invalid X25519 public key 'zz'" in str(bad.exception)
    assert json.loads(json.dumps(keys))  # the public keys are plain hex strings
