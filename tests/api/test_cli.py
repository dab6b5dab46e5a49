"""`nnc api` serves the API and the web app over the configured deployment until stopped."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from nnc.devnet import Devnet
from nnc.paths import REPO_ROOT

pytestmark = pytest.mark.e2e


def test_nnc_api_serves_json_and_the_web_app(devnet: Devnet, tmp_path: Path) -> None:
    env = {**os.environ, "NNC_RPC_URL": devnet.rpc_url, "NNC_DEPLOYMENT_FILE": str(devnet.deployment_file),
           "NNC_DATA_DIR": str(tmp_path)}
    env.pop("NNC_PRIVATE_KEY", None)
    env.pop("NNC_KEY_FILE", None)
    process = subprocess.Popen([sys.executable, "-m", "nnc", "api", "--port", "0"], env=env, cwd=REPO_ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.search(r"at (http://127\.0\.0\.1:\d+)", first)
        assert match, first
        url = match.group(1)
        with urllib.request.urlopen(f"{url}/api/health", timeout=10) as response:
            health = json.load(response)
        assert health["ok"] and health["chain_id"] == devnet.client(0).w3.eth.chain_id
        with urllib.request.urlopen(f"{url}/", timeout=10) as response:
            page = response.read().decode()
        assert '<script type="module" src="/js/main.js">' in page
        with urllib.request.urlopen(f"{url}/vendor/ethers.js", timeout=10) as response:
            assert response.headers["Content-Type"].startswith("text/javascript")
    finally:
        process.terminate()
        process.wait(timeout=10)
