"""A dataset file over the API's 16 MiB upload limit, sent by the web app in real headless
Chromium straight to the storage node in chunks (the API only names the node): stored whole, under
the CID `ipfs add` gives the same bytes, with progress after every chunk."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from nnc.api import ApiContext, ApiServer
from nnc.devnet import Devnet
from nnc.paths import REPO_ROOT
from nnc.storage import IpfsStore
from nnc.storage.services import IpfsNode
from tests.e2e.harness import settings_for

pytestmark = pytest.mark.e2e

CHROMIUM = Path(os.environ.get("NNC_CHROMIUM", "/usr/bin/chromium"))
SCRIPT = Path(__file__).with_name("chunked_upload.mjs")
SIZE = 20 * 1024 * 1024 + 12_345  # over the API's 16 MiB, not a whole number of chunks


def test_a_large_dataset_goes_from_the_browser_to_the_storage_node_in_chunks(chain: Devnet, tmp_path: Path) -> None:
    node_bin = shutil.which("node")
    assert node_bin and CHROMIUM.exists(), "node and chromium are installed by make setup"
    with IpfsNode(tmp_path / "ipfs") as node:
        settings = settings_for(chain, tmp_path / "api", 0).model_copy(update={"ipfs_upload_url": node.url})
        store = IpfsStore(node.url)
        with ApiServer(ApiContext.from_settings(settings, store=store)) as server:
            run = subprocess.run([node_bin, str(SCRIPT)], capture_output=True, text=True, timeout=300, cwd=REPO_ROOT,
                                 env={**os.environ, "NNC_API_URL": server.url, "NNC_UPLOAD_BYTES": str(SIZE),
                                      "NNC_CHROMIUM": str(CHROMIUM)})
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
        outcome = json.loads(run.stdout.strip().splitlines()[-1])
        assert outcome["target"]["url"] == node.url and outcome["target"]["api_limit_bytes"] < SIZE
        stored = store.get_bytes(outcome["uri"])  # verified against its CID on the way
        assert len(stored) == SIZE and hashlib.sha256(stored).hexdigest() == outcome["sha256"]
        assert store.put_bytes(stored) == outcome["uri"]  # the CID `ipfs add` gives the same bytes
    chunks = -(-SIZE // outcome["target"]["chunk_bytes"])
    assert outcome["progress"][0] == [0, SIZE] and outcome["progress"][-1] == [SIZE, SIZE]
    assert len(outcome["progress"]) == chunks + 1 and outcome["console_errors"] == []
