"""Running a browser flow script (tests/browser/*.mjs) under node: it drives Chromium and, when it
needs the chain to move on, writes `@@nnc {"op": ...}` on stdout and waits for the answer line,
which `answer(op)` gives; its last line is `@@result {...}` (with `failure` when a check failed)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nnc.paths import REPO_ROOT

CHROMIUM = Path(os.environ.get("NNC_CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"


@dataclass
class FlowRun:
    code: int
    result: dict[str, Any]
    log: list[str]

    def check(self) -> dict[str, Any]:
        """The script's result; AssertionError with its last lines when it failed."""
        assert self.code == 0 and "failure" not in self.result, \
            "\n".join([*self.log[-30:], self.result.get("failure", "")])
        return self.result


def run_flows(script: Path, env: dict[str, str], answer: Callable[[dict[str, Any]], dict[str, Any]],
              timeout: float = 60) -> FlowRun:
    assert CHROMIUM.exists(), f"no chromium at {CHROMIUM}: `make setup` installs Debian's chromium"
    node_bin = shutil.which("node")
    assert node_bin, "node is needed to drive the browser"
    full_env = {**os.environ, "NNC_SCREENSHOTS": str(SCREENSHOTS), "NNC_CHROMIUM": str(CHROMIUM), **env}
    process = subprocess.Popen([node_bin, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=full_env, cwd=REPO_ROOT)
    assert process.stdin is not None and process.stdout is not None
    result: dict[str, Any] = {}
    log: list[str] = []
    for line in process.stdout:
        if line.startswith("@@nnc "):
            process.stdin.write(json.dumps(answer(json.loads(line[6:]))) + "\n")
            process.stdin.flush()
        elif line.startswith("@@result "):
            result = json.loads(line[9:])
        else:
            log.append(line.rstrip())
    return FlowRun(process.wait(timeout=timeout), result, log)
