"""`nnc.container.container_command`: what a daemon run from the node image receives."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from nnc.container import IMAGE_UID, SANDBOX_OPTIONS, container_command
from nnc.errors import ConfigError

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or shutil.which("podman") is None,
                                reason="gives files to the image's user (root only) and needs podman")


def test_settings_files_are_copied_in_and_renamed(tmp_path: Path) -> None:
    key = tmp_path / "account-3.key"
    key.write_text("0x" + "11" * 32)
    deployment = tmp_path / "deployment.json"
    deployment.write_text("{}")
    env = {"NNC_KEY_FILE": str(key), "NNC_DEPLOYMENT_FILE": str(deployment), "NNC_DATA_DIR": str(tmp_path),
           "NNC_RPC_URL": "http://127.0.0.1:8545", "HOME": "/root", "PATH": "/usr/bin"}
    state = tmp_path / "containers" / "worker-1"
    command = container_command("localhost/nnc-worker:latest", ["worker", "run"], env, state)

    assert command[:3] == ["podman", "run", "--rm"] and command[-3:] == ["localhost/nnc-worker:latest", "worker", "run"]
    assert all(option in command for option in SANDBOX_OPTIONS)
    assert f"{state.resolve()}:/data" in command
    settings = dict(command[i + 1].split("=", 1) for i, arg in enumerate(command) if arg == "-e")
    assert settings == {"NNC_KEY_FILE": "/data/key_file.key", "NNC_DEPLOYMENT_FILE": "/data/deployment_file.json",
                        "NNC_DATA_DIR": "/data", "NNC_RPC_URL": "http://127.0.0.1:8545"}  # no HOME, no PATH
    copied = state / "key_file.key"
    assert copied.read_text() == key.read_text()
    assert copied.stat().st_mode & 0o777 == 0o600 and copied.stat().st_uid == IMAGE_UID
    assert state.stat().st_uid == IMAGE_UID


def test_a_missing_settings_file_is_named(tmp_path: Path) -> None:
    env = {"NNC_KEY_FILE": str(tmp_path / "absent.key")}
    with pytest.raises(ConfigError, match="NNC_KEY_FILE=.*absent.key: no such file"):
        container_command("img", ["worker", "run"], env, tmp_path / "state")
