"""A long-lived snarkjs prover: one `node zk/prover.js` process answering proof requests.

Starting Node and loading snarkjs costs about 1.5 s; a warm proof of the result commitment
takes a fraction of that. The process is started on first use and kept until `close()` (or
interpreter exit, for the shared one).
"""

from __future__ import annotations

import atexit
import json
import logging
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import IO, Any

from nnc.errors import ProverError
from nnc.paths import REPO_ROOT
from nnc.zk.artifacts import PROVER_SCRIPT, ZK_ARTIFACTS
from nnc.zk.proof import Proof

log = logging.getLogger(__name__)

START_TIMEOUT = 60.0
PROOF_TIMEOUT = 120.0


class Prover:
    """Proves with the committed circuits (`zk/artifacts`) in one Node process."""

    def __init__(self, artifacts_dir: Path = ZK_ARTIFACTS, node: str | None = None,
                 timeout: float = PROOF_TIMEOUT) -> None:
        self.artifacts_dir = artifacts_dir
        self.node = node or shutil.which("node") or "node"
        self.timeout = timeout
        self._proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._lock = threading.Lock()
        self._next_id = 0
        self._stderr: IO[str] = tempfile.TemporaryFile("w+")  # never a pipe: a full pipe would block Node

    def __enter__(self) -> Prover:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> subprocess.Popen[str]:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        try:
            proc = subprocess.Popen([self.node, str(PROVER_SCRIPT), str(self.artifacts_dir)], cwd=REPO_ROOT,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                                    text=True, bufsize=1)
        except OSError as exc:
            raise ProverError(f"cannot start the prover ({self.node} {PROVER_SCRIPT}): {exc}") from exc
        self._proc = proc
        self._lines = queue.Queue()
        assert proc.stdout is not None
        threading.Thread(target=_pump, args=(proc.stdout, self._lines), daemon=True).start()
        ready = self._read(START_TIMEOUT)
        if not ready.get("ready"):
            raise ProverError(f"prover did not start: {ready}")
        log.debug("prover started (pid %d)", proc.pid)
        return proc

    def _read(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                line = self._lines.get(timeout=max(left, 0.001))
            except queue.Empty:
                self.close()
                raise ProverError(f"prover gave no answer within {timeout:.0f} s") from None
            if line is None:
                self._stderr.seek(0)
                stderr = self._stderr.read()
                self.close()
                raise ProverError(f"prover exited: {stderr.strip()[-2000:]}")
            if line.startswith("{"):
                answer: dict[str, Any] = json.loads(line)
                return answer
            log.debug("prover: %s", line.rstrip())

    def prove(self, circuit: str, inputs: dict[str, Any]) -> Proof:
        """A proof for `circuit` from its (decimal-string) inputs; ProverError if a constraint fails."""
        with self._lock:
            proc = self._start()
            self._next_id += 1
            request_id = self._next_id
            assert proc.stdin is not None
            try:
                proc.stdin.write(json.dumps({"id": request_id, "circuit": circuit, "input": inputs}) + "\n")
                proc.stdin.flush()
            except OSError as exc:
                self.close()
                raise ProverError(f"prover pipe broken: {exc}") from exc
            answer = self._read(self.timeout)
        if answer.get("id") != request_id:
            raise ProverError(f"prover answered request {answer.get('id')}, expected {request_id}")
        if "error" in answer:
            raise ProverError(f"{circuit}: the prover refused the inputs: {answer['error']}")
        return Proof.from_snarkjs(answer["proof"], answer["publicSignals"])

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin:
            try:
                proc.stdin.close()
            except OSError:
                pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    try:
        for line in stream:
            lines.put(line)
    except (OSError, ValueError):  # the stream was closed under us by close()
        pass
    lines.put(None)


_shared: list[Prover] = []


def shared_prover() -> Prover:
    """One prover per Python process, started on first use and closed at exit."""
    if not _shared:
        prover = Prover()
        _shared.append(prover)
        atexit.register(prover.close)
    return _shared[0]
