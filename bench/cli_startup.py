"""How long `nnc --help` takes: the CLI's start-up over a bare Python start, in the same run.

Each command runs `--reps` times in a fresh subprocess of this interpreter, interleaved so that a
busy machine slows every command alike:
- bare: `python -c pass` (the interpreter's own start-up, the floor);
- `python -m nnc --help` and a few group and command helps (`nnc task --help`, ...).
Heavy modules (torch, web3, the storage stack) load only inside the commands that use them, so
a help pays for click, the settings and the option choices only. Goal: `cli_help_s` under 0.5 s.

The last line is one JSON object: `cli_help_s` (median `nnc --help` minus median bare start-up,
seconds), `bare_python_s`, `cli_help_raw_s` (median `nnc --help`), `ratio` (raw over bare) and
`group_help_s` (per other help, its median minus the bare median).

    .venv/bin/python bench/cli_startup.py [--reps 7] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

BARE = "bare python"
HELP = "nnc --help"
COMMANDS: dict[str, list[str]] = {
    BARE: ["-c", "pass"],
    HELP: ["-m", "nnc", "--help"],
    "nnc task --help": ["-m", "nnc", "task", "--help"],
    "nnc dispute --help": ["-m", "nnc", "dispute", "--help"],
    "nnc task publish --help": ["-m", "nnc", "task", "publish", "--help"],
}


def run_once(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, *args], env=env, cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"python {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--reps", type=int, default=7, help="runs of each command")
    parser.add_argument("--quick", action="store_true", help="one run of each (for the test suite)")
    args = parser.parse_args()
    reps = 1 if args.quick else max(1, args.reps)

    env = dict(os.environ)  # the checkout's nnc, whatever is installed
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(reps):
        for name, command in COMMANDS.items():
            times[name].append(run_once(command, env))

    medians = {name: statistics.median(values) for name, values in times.items()}
    bare = medians[BARE]
    print(f"{'command':26} {'median s':>9} {'min s':>8} {'over bare s':>12}  ({reps} run(s) each)")
    for name, values in times.items():
        print(f"{name:26} {medians[name]:9.3f} {min(values):8.3f} {medians[name] - bare:12.3f}")
    print(json.dumps({
        "cli_help_s": round(medians[HELP] - bare, 4),
        "bare_python_s": round(bare, 4),
        "cli_help_raw_s": round(medians[HELP], 4),
        "ratio": round(medians[HELP] / bare, 2) if bare > 0 else None,
        "group_help_s": {name: round(medians[name] - bare, 4) for name in COMMANDS if name not in (BARE, HELP)},
    }))


if __name__ == "__main__":
    main()
