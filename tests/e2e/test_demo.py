"""The main job, as `make demo` runs it: separate oracle and worker processes on a devnet."""

from __future__ import annotations

from pathlib import Path

import pytest

from nnc.chain.types import TaskStatus
from nnc.demo import run_demo

pytestmark = pytest.mark.e2e


def test_demo_settles_a_real_training_task_with_conserved_escrow(tmp_path: Path) -> None:
    lines: list[str] = []
    result = run_demo(tmp_path, nodes=2, timeout=150, echo=lines.append)
    assert result.status == TaskStatus.SETTLED
    assert len(result.payouts) == 2 and all(v > 0 for v in result.payouts.values())
    assert sum(result.payouts.values()) + result.fee + result.refund == result.budget
    assert any("settled" in line for line in lines)
    # working data on IPFS, what must last on Arweave
    assert any("stored the dataset at ipfs://" in line for line in lines)
    assert any("published task" in line and "(ipfs://" in line for line in lines)
    assert len([line for line in lines if "committed result" in line]) == 2  # commitments first,
    models = [line for line in lines if "revealed its model at" in line]  # then where the models live
    assert len(models) == 2 and all("model at ar://" in line for line in models)
    assert result.audit_uri.startswith("ar://")
    assert any(line.startswith("API: task") and "audit trace" in line for line in lines)
    for name in ("oracle", "worker-1", "worker-2"):
        assert (tmp_path / "logs" / f"{name}.log").exists()
