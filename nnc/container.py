"""Running an `nnc` daemon from the node image (`make image`, packaging/oci) instead of this checkout.

The image runs `nnc` as the user `nnc` (uid 1000) with its state in `/data`. A daemon started
here gets its own state folder, owned by that user, holding copies of the files its settings name
(the key, the deployment file): the container sees nothing else of this machine but the network
(`--network host`, to reach a devnet on 127.0.0.1). The worker's own sandbox (bubblewrap) needs
user namespaces and /proc inside the container: `SANDBOX_OPTIONS` allow them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Final

from nnc.errors import ConfigError
from nnc.paths import REPO_ROOT

IMAGE_UID: Final = 1000
"""The image's `nnc` user (packaging/oci/Containerfile)."""
STATE_IN_IMAGE: Final = Path("/data")
SANDBOX_OPTIONS: Final = ("--security-opt", "seccomp=unconfined", "--security-opt", "unmask=/proc/*")
"""What bubblewrap needs inside podman: podman's default seccomp profile refuses the worker's
sandbox its namespaces, and its masked /proc paths keep bwrap from mounting a fresh /proc."""
PATH_SETTINGS: Final = ("NNC_KEY_FILE", "NNC_DEPLOYMENT_FILE", "NNC_KEYSTORE", "NNC_KEYSTORE_PASSPHRASE_FILE",
                        "NNC_ARWEAVE_WALLET", "NNC_ENCRYPTION_KEY_FILE")
"""Settings that name a file of this machine: copied into the daemon's state folder."""


def podman_env() -> dict[str, str]:
    """The environment podman runs in: the project's containers.conf and storage under build/image
    (written by scripts/podman-env when the image was built)."""
    storage = REPO_ROOT / "build" / "image" / "storage.conf"
    if not storage.exists():
        raise ConfigError(f"{storage} is missing: build the image first (`make image`)")
    return {**os.environ, "CONTAINERS_CONF": str(REPO_ROOT / "packaging" / "oci" / "containers.conf"),
            "CONTAINERS_STORAGE_CONF": str(storage)}


def container_command(image: str, args: list[str], env: Mapping[str, str], state_dir: Path) -> list[str]:
    """`podman run` of `nnc <args>` from `image` with the `NNC_*` settings of `env`, its state in
    `state_dir` (created, owned by the image's user). Files named by `PATH_SETTINGS` are copied in
    and renamed; `NNC_DATA_DIR` becomes the container's /data."""
    if shutil.which("podman") is None:
        raise ConfigError("podman is not installed: `make image` installs it (Debian's podman package)")
    state_dir.mkdir(parents=True, exist_ok=True)
    settings = {key: value for key, value in env.items() if key.startswith("NNC_")}
    settings["NNC_DATA_DIR"] = str(STATE_IN_IMAGE)
    for key in PATH_SETTINGS:
        if key not in settings:
            continue
        source = Path(settings[key])
        if not source.is_file():
            raise ConfigError(f"{key}={source}: no such file to give the container")
        copied = state_dir / f"{key.removeprefix('NNC_').lower()}{source.suffix}"
        shutil.copyfile(source, copied)
        copied.chmod(0o600)  # keys among them: readable by the image's user alone
        settings[key] = str(STATE_IN_IMAGE / copied.name)
    for path in (state_dir, *state_dir.rglob("*")):
        os.chown(path, IMAGE_UID, IMAGE_UID)
    command = ["podman", "run", "--rm", "--network", "host", *SANDBOX_OPTIONS,
               "-v", f"{state_dir.resolve()}:{STATE_IN_IMAGE}"]
    for key, value in sorted(settings.items()):
        command += ["-e", f"{key}={value}"]
    return [*command, image, *args]
