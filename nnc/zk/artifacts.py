"""Where the circuits and their committed trusted-setup outputs live (`zk/`)."""

from __future__ import annotations

from pathlib import Path

from nnc.paths import REPO_ROOT

ZK_DIR = REPO_ROOT / "zk"
CIRCUITS_DIR = ZK_DIR / "circuits"
ZK_ARTIFACTS = ZK_DIR / "artifacts"
PROVER_SCRIPT = ZK_DIR / "prover.js"
CIRCUITS = ("ResultCommitment", "Acceptance")


def vkey_path(circuit: str) -> Path:
    return ZK_ARTIFACTS / f"{circuit}.vkey.json"
