"""The main job, as `make demo` runs it: separate oracle and worker processes on a devnet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nnc.chain.types import TaskStatus
from nnc.cli import cli
from nnc.demo import run_demo

pytestmark = pytest.mark.e2e


def test_demo_settles_a_real_training_task_with_conserved_escrow(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    lines: list[str] = []
    import nnc.demo

    ran: list[object] = []

    def recorded(data_dir: Path, nodes: int, timeout: float, echo: object, **kwargs: object) -> object:
        result = run_demo(data_dir, nodes, timeout, lines.append, **kwargs)  # type: ignore[arg-type]
        ran.append(result)
        return result

    monkeypatch.setattr(nnc.demo, "run_demo", recorded)
    command = CliRunner().invoke(cli, ["demo", "--keep", str(tmp_path)], env={"NNC_CONFIG": str(tmp_path / "no.toml")})
    assert command.exit_code == 0, command.output
    summary = json.loads(command.output.strip().splitlines()[-1])  # the last line: what `make demo` took
    result = ran[0]
    assert isinstance(result, nnc.demo.DemoResult)
    assert summary["task_id"] == result.task_id and summary["status"] == "settled"
    assert summary["demo_s"] >= summary["settled_s"] == round(result.seconds, 2) > 0
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
