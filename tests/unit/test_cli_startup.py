"""The CLI starts without its heavy dependencies, and `bench/cli_startup.py` keeps running.

The start-up time itself is measured by the bench, not asserted here: timings on a shared
machine make flaky tests. What is guarded is the cause of a slow start: importing `nnc.cli`
(what every `nnc --help` does) must not load torch, web3, jax or transformers."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from nnc.paths import REPO_ROOT

HEAVY = ("torch", "web3", "jax", "transformers")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def test_cli_import_loads_no_heavy_module() -> None:
    code = f"import nnc.cli; import sys; print([m for m in {HEAVY!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], env=_env(), cwd=REPO_ROOT, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "[]", f"`import nnc.cli` loads {done.stdout.strip()}: import them in the commands"


def test_cli_startup_bench_quick() -> None:
    done = subprocess.run([sys.executable, str(REPO_ROOT / "bench" / "cli_startup.py"), "--quick"], env=_env(),
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert {"cli_help_s", "bare_python_s", "cli_help_raw_s", "ratio"} <= set(result)
    assert result["bare_python_s"] > 0 and result["cli_help_raw_s"] > 0
