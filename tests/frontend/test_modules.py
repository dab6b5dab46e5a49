"""The web app's pure modules (field checks, the publish form's model and validation) under
`node --test`: tests/frontend/*.test.mjs, with /vendor/ imports resolved to node_modules."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def test_frontend_modules_under_node() -> None:
    node = shutil.which("node")
    assert node, "node is needed to test the web app's modules (`make setup` installs it)"
    tests = sorted(HERE.glob("*.test.mjs"))
    assert tests, f"no *.test.mjs in {HERE}"
    run = subprocess.run([node, "--import", str(HERE / "register-vendor.mjs"), "--test", *map(str, tests)],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "# fail 0" in run.stdout and "# pass 0" not in run.stdout
