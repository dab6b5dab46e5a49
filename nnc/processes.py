"""Local service processes (anvil, the IPFS node, arlocal): a free port to start one on, and
stopping one with everything it started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process_group(process: subprocess.Popen[bytes] | None, timeout: float = 5.0) -> bool:
    """SIGTERM to the process group `process` leads (started with `start_new_session=True`),
    SIGKILL if it is not gone within `timeout`; False when there was nothing to stop."""
    if process is None or process.poll() is not None:
        return False
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)
    return True
