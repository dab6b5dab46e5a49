"""snarkjs (GPL-3.0) run as a separate process, as the ceremony needs it: the command's output,
without colours, or a `CeremonyError` naming the command and what snarkjs said."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from nnc.errors import CeremonyError
from nnc.paths import NODE_MODULES, REPO_ROOT

SNARKJS_CLI = NODE_MODULES / "snarkjs" / "build" / "cli.cjs"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_HEX_LINE = re.compile(r"^\s+((?:[0-9a-f]{8}\s*){4})$")


def snarkjs(*args: str | Path, timeout: float = 3600) -> str:
    """Run `snarkjs ARGS...` and return its output; raise `CeremonyError` if it fails."""
    node = shutil.which("node") or "node"
    cmd = [node, str(SNARKJS_CLI), *map(str, args)]
    try:
        done = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CeremonyError(f"snarkjs {args[0]} {args[1] if len(args) > 1 else ''} did not run: {exc}") from exc
    output = _ANSI.sub("", done.stdout + done.stderr)
    if done.returncode != 0 or "[ERROR]" in output:
        tail = "\n".join(output.strip().splitlines()[-6:])
        raise CeremonyError(f"snarkjs {' '.join(map(str, args[:2]))} failed (exit {done.returncode}): {tail}")
    return output


def hashes_after(output: str, label: re.Pattern[str]) -> list[tuple[re.Match[str], str]]:
    """Each line of OUTPUT matching LABEL with the 64-byte hash printed on the 4 lines below it."""
    lines = output.splitlines()
    found = []
    for i, line in enumerate(lines):
        match = label.search(line)
        if not match:
            continue
        words = []
        for following in lines[i + 1:i + 5]:
            hex_line = _HEX_LINE.match(following)
            if hex_line:
                words.append(hex_line.group(1).replace(" ", "").replace("\t", ""))
        found.append((match, "".join(words)))
    return found
