"""Where the project's own files are: the repository root, the contracts and the npm tools."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from nnc.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_SRC = REPO_ROOT / "contracts" / "src"
NODE_MODULES = REPO_ROOT / "node_modules"
ARTIFACTS_DIR = REPO_ROOT / "build" / "contracts"
SOLC_SHIM = REPO_ROOT / "scripts" / "solc"


def npm_binary(name: str) -> Path:
    """Path of an executable installed by `npm ci` (anvil, forge), or on PATH as a fallback."""
    local = NODE_MODULES / ".bin" / name
    if local.exists():
        return local
    found = shutil.which(name)
    if found:
        return Path(found)
    raise ConfigError(f"{name} not found in {NODE_MODULES / '.bin'} or on PATH: run `make setup`")


def anvil_binary() -> Path:
    override = os.environ.get("NNC_ANVIL")
    return Path(override) if override else npm_binary("anvil")
