"""A user's mistake at the command line is one line naming it, never a traceback, and loses
nothing: a budget above the wallet's balance is refused before the spec is stored or anything is
sent; a key file without a key and an empty `NNC_KEY_FILE` are named as such."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nnc.devnet import Devnet
from tests.e2e.harness import TINY_SPEC

pytestmark = pytest.mark.e2e


def nnc(chain: Devnet, tmp_path: Path, *args: str, key_file: str | None = None) -> subprocess.CompletedProcess[str]:
    """`nnc ARGS` in a fresh process, as a user runs it (with the requester's key by default)."""
    root = Path(__file__).resolve().parents[2]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": str(root),
           "NNC_CONFIG": str(tmp_path / "absent.toml"),
           "NNC_RPC_URL": chain.rpc_url, "NNC_DEPLOYMENT_FILE": str(chain.deployment_file),
           "NNC_KEY_FILE": str(chain.key_file(2)) if key_file is None else key_file,
           "NNC_STORAGE_URL": f"local://{tmp_path / 'store'}", "NNC_DATA_DIR": str(tmp_path / "cli")}
    return subprocess.run([sys.executable, "-c", "from nnc.cli import main; main()", *args], capture_output=True,
                          text=True, env=env, timeout=120, cwd=root)


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize("token", ["ETH", "NNT"])
def test_a_budget_above_the_balance_is_refused_before_anything_is_stored(chain: Devnet, tmp_path: Path,
                                                                         token: str) -> None:
    result = nnc(chain, tmp_path, "task", "publish", str(TINY_SPEC), "--budget", "100000000.5", "--token", token)
    line = one_line_error(result)
    assert f"the budget (100000000.5 {token}) is more than {chain.address(2)} holds" in line
    store = tmp_path / "store"
    assert not store.exists() or not any(path.is_file() for path in store.rglob("*"))


@pytest.mark.parametrize(("content", "named"), [("garbage\n", "does not hold a private key"),
                                                ("", "does not hold a private key")])
def test_a_key_file_without_a_key_is_named(chain: Devnet, tmp_path: Path, content: str, named: str) -> None:
    key_file = tmp_path / "node.key"
    key_file.write_text(content)
    line = one_line_error(nnc(chain, tmp_path, "node", "status", key_file=str(key_file)))
    assert str(key_file) in line and named in line and "garbage" not in line


def test_an_empty_key_file_variable_is_no_key(chain: Devnet, tmp_path: Path) -> None:
    line = one_line_error(nnc(chain, tmp_path, "task", "publish", str(TINY_SPEC), "--budget", "1", key_file=""))
    assert "no signing key" in line and "Is a directory" not in line
