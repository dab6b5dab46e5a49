"""The spot-check procedure on real training runs: honest work passes, every kind of tampering fails."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
import torch

from nnc.errors import VerificationError
from nnc.task import load_spec
from nnc.training.checkpoints import checkpoint_path
from nnc.verification import choose_segments, segment_bounds, verify_submission
from nnc.verification.adversaries import Submission, make
from nnc.verification.procedure import relative_distance
from tests.nodes import NODE, OTHER_NODE

ROOT = Path(__file__).resolve().parents[2]
SPEC = load_spec(ROOT / "tests" / "data" / "tiny-spec.json")  # 60 steps, checkpoints at 20, 40, 60


@pytest.fixture(scope="module")
def honest_run(tmp_path_factory: pytest.TempPathFactory) -> Submission:
    return make("honest", SPEC, tmp_path_factory.mktemp("honest"), NODE, random.Random(0))


def _copy(run: Submission, tmp_path: Path) -> Path:
    shutil.copytree(run.workdir, tmp_path / "run")
    return tmp_path / "run"


def _verify(workdir: Path, digest: bytes, segments: int = 3, seed: int = 1) -> tuple[bool, str]:
    report = verify_submission(SPEC, workdir, workdir / "model.pt", digest, node=NODE, seed=seed, segments=segments,
                               tolerance=1e-4)
    return report.passed, report.reason


def test_segment_bounds_cover_the_run() -> None:
    assert segment_bounds(SPEC) == [(0, 20), (20, 40), (40, 60)]


def test_choose_segments_always_checks_the_last_and_depends_on_the_seed() -> None:
    picks = {tuple(choose_segments(seed, 50, 4)) for seed in range(40)}
    assert all(49 in p and len(set(p)) == 4 and list(p) == sorted(p) for p in picks)
    assert len(picks) > 30  # different seeds, different segments
    assert choose_segments(7, 50, 4) == choose_segments(7, 50, 4)
    assert choose_segments(7, 3, 10) == [0, 1, 2]
    with pytest.raises(VerificationError):
        choose_segments(1, 0, 1)


def test_honest_run_passes_with_zero_distance(honest_run: Submission) -> None:
    report = verify_submission(SPEC, honest_run.workdir, honest_run.model_path, honest_run.result_digest,
                               node=NODE, seed=3, segments=3, tolerance=0.0, snapshot=(60, honest_run.chain_head))
    assert report.passed, report.reason
    assert [(s.start, s.end, s.distance) for s in report.segments] == [(0, 20, 0.0), (20, 40, 0.0), (40, 60, 0.0)]
    assert report.metric >= SPEC.acceptance.threshold
    assert report.replayed_steps == 60


def test_wrong_result_digest_fails(honest_run: Submission) -> None:
    assert _verify(honest_run.workdir, b"\x01" * 32) == (
        False, "model: differs from the committed result or the last checkpoint")


def test_snapshot_not_on_the_chain_fails(honest_run: Submission) -> None:
    report = verify_submission(SPEC, honest_run.workdir, honest_run.model_path, honest_run.result_digest,
                               node=NODE, seed=3, segments=1, tolerance=1e-4, snapshot=(20, b"\x02" * 32))
    assert not report.passed and "snapshot at step 20" in report.reason


def test_another_nodes_work_fails_the_chain_check(honest_run: Submission, tmp_path: Path) -> None:
    """Checked as the trainer it is not, an honest run's chain does not start from that trainer's
    genesis; and a replica's own honest chain does not pass through another replica's snapshot."""
    report = verify_submission(SPEC, honest_run.workdir, honest_run.model_path, honest_run.result_digest,
                               node=OTHER_NODE, seed=3, segments=1, tolerance=1e-4)
    assert not report.passed and report.reason.startswith("chain:"), report.reason
    assert f"genesis of node {OTHER_NODE.lower()}" in report.reason and f"node {NODE.lower()}" in report.reason
    replica = make("honest", SPEC, tmp_path, OTHER_NODE, random.Random(0))
    assert replica.result_digest == honest_run.result_digest and replica.chain_head != honest_run.chain_head
    copied_snapshot = verify_submission(SPEC, tmp_path, replica.model_path, replica.result_digest, node=OTHER_NODE,
                                        seed=3, segments=1, tolerance=1e-4, snapshot=(60, honest_run.chain_head))
    assert not copied_snapshot.passed and "snapshot at step 60" in copied_snapshot.reason
    own = verify_submission(SPEC, tmp_path, replica.model_path, replica.result_digest, node=OTHER_NODE, seed=3,
                            segments=1, tolerance=1e-4, snapshot=(60, replica.chain_head))
    assert own.passed, own.reason


def test_swapped_checkpoint_fails(honest_run: Submission, tmp_path: Path) -> None:
    workdir = _copy(honest_run, tmp_path)
    state = torch.load(checkpoint_path(workdir, 20), weights_only=True)
    for tensor in state["model"].values():
        tensor.add_(0.5)
    torch.save(state, checkpoint_path(workdir, 20))
    passed, reason = _verify(workdir, honest_run.result_digest)
    assert not passed and "not the one in the chain" in reason


def test_missing_checkpoint_fails(honest_run: Submission, tmp_path: Path) -> None:
    workdir = _copy(honest_run, tmp_path)
    checkpoint_path(workdir, 60).unlink()
    passed, reason = _verify(workdir, honest_run.result_digest)
    assert not passed and reason.startswith("chain:")


def test_acceptance_threshold_is_checked(tmp_path: Path) -> None:
    strict = SPEC.model_copy(update={"acceptance": SPEC.acceptance.model_copy(update={"threshold": 0.999})})
    run = make("honest", strict, tmp_path, NODE, random.Random(0))
    report = verify_submission(strict, tmp_path, run.model_path, run.result_digest, node=NODE, seed=1, segments=1,
                               tolerance=1e-4)
    assert not report.passed and report.reason.startswith("acceptance:")


@pytest.mark.parametrize("kind", ["lazy", "copier", "noisy"])
def test_adversaries_fail_a_segment(kind: str, tmp_path: Path) -> None:
    run = make(kind, SPEC, tmp_path, NODE, random.Random(5))
    passed, reason = _verify(tmp_path, run.result_digest, segments=3)
    assert not passed and reason.startswith("segment"), reason


def test_relative_distance() -> None:
    a = {"w": torch.tensor([3.0, 4.0])}
    assert relative_distance(a, {"w": torch.tensor([3.0, 4.0])}) == 0.0
    assert relative_distance({"w": torch.tensor([3.0, 4.5])}, a) == pytest.approx(0.1)
    assert relative_distance({"v": torch.tensor([3.0, 4.0])}, a) == float("inf")
