"""The production deploy profile refuses zk keys from the single-party devnet ceremony (the
committed zk/artifacts/ceremony.json), and keys swapped after a multi-party one."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nnc.cli import cli
from nnc.errors import UntrustedSetupError
from nnc.zk.artifacts import CIRCUITS, ZK_ARTIFACTS
from nnc.zk.trust import check_production_keys


def test_the_committed_devnet_keys_are_refused_naming_the_single_party() -> None:
    with pytest.raises(UntrustedSetupError, match=r"1 contributor\(s\) \(nnc devnet\).*at least 2"):
        check_production_keys(ZK_ARTIFACTS, CIRCUITS)


def test_deploy_production_refuses_them_before_touching_a_chain(tmp_path: Path) -> None:
    ran = CliRunner().invoke(cli, ["--data-dir", str(tmp_path), "deploy", "--profile", "production"])
    assert isinstance(ran.exception, UntrustedSetupError), ran.output  # the CLI prints it without a traceback
    assert "single-party" in str(ran.exception) and "nnc zk ceremony" in str(ran.exception)


def _multi_party(folder: Path) -> None:
    final = {}
    for circuit in ("C",):
        (folder / f"{circuit}.zkey").write_bytes(b"zkey")
        (folder / f"{circuit}.vkey.json").write_bytes(b"{}")
        final[circuit] = {"zkey_sha256": hashlib.sha256(b"zkey").hexdigest(),
                          "vkey_sha256": hashlib.sha256(b"{}").hexdigest(), "zkey_uri": "ipfs://x"}
    (folder / "ceremony.json").write_text(json.dumps({
        "format": "nnc-ceremony/1", "contributions": [{"name": "alice"}, {"name": "bob"}],
        "beacon": {"hex": "ab", "iterations": 10}, "final": final}))


def test_multi_party_keys_pass_and_swapped_or_unbeaconed_ones_do_not(tmp_path: Path) -> None:
    _multi_party(tmp_path)
    check_production_keys(tmp_path, ("C",))
    (tmp_path / "C.zkey").write_bytes(b"other")
    with pytest.raises(UntrustedSetupError, match="replaced after the ceremony"):
        check_production_keys(tmp_path, ("C",))
    _multi_party(tmp_path)
    manifest = json.loads((tmp_path / "ceremony.json").read_text())
    (tmp_path / "ceremony.json").write_text(json.dumps({**manifest, "beacon": None}))
    with pytest.raises(UntrustedSetupError, match="beacon"):
        check_production_keys(tmp_path, ("C",))
    manifest["contributions"] = [{"name": "alice"}, {"name": "alice"}]  # one party under one name twice
    (tmp_path / "ceremony.json").write_text(json.dumps(manifest))
    with pytest.raises(UntrustedSetupError, match="1 contributor"):
        check_production_keys(tmp_path, ("C",))
    (tmp_path / "ceremony.json").unlink()
    with pytest.raises(UntrustedSetupError, match="no ceremony manifest"):
        check_production_keys(tmp_path, ("C",))
