"""Every runtime through what the protocol asks of it (one parametrised suite, one tiny spec per
runtime from `tests/runtimes/cases.py`):

- the same digest, chain head and checkpoints twice in a row, and in a fresh process whose
  machine-wide thread settings differ (and at 2 `determinism.threads` where the runtime's result
  does not depend on the count);
- a run killed after its first checkpoint resumes to the uninterrupted digest;
- replay (what a spot-check re-executes) reproduces every checkpoint bitwise, and the spot-check
  passes the honest run and catches a node that trained one step less in one segment;
- the sandboxed child, started ahead as a standby (warmed up by two real steps), commits the
  in-process digest;
- the dry run times real steps, and weights that do not fit the model are refused.

Settlement between two replicas on anvil is `tests/e2e/test_runtimes.py`, over the same cases.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from nnc.errors import NNCError
from nnc.runtimes import RUNTIMES, installed_runtimes, runtime_for
from nnc.runtimes.dispatch import train
from nnc.sandbox import SandboxLimits
from nnc.task import TaskSpec, spec_digest
from nnc.training import Checkpoint, TrainingResult, load_checkpoint, model_digest
from nnc.training.checkpoints import CheckpointState, atomic_save, checkpoint_path, next_link, save_checkpoint
from nnc.training.digest import chain_genesis
from nnc.verification import verify_submission
from tests.nodes import NODE
from tests.runtimes.cases import CASES, case_spec

ROOT = Path(__file__).resolve().parents[2]
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def installed(name: str) -> str:
    framework = case_spec(name).framework
    if framework not in installed_runtimes():  # `make setup` installs every runtime: a missing one is a failure
        pytest.fail(f"runtime {framework} is not installed (pip install 'nnc[{RUNTIMES[framework].extra}]')")
    return name


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> str:
    return installed(str(request.param))


@pytest.fixture(scope="module")
def reference(case: str, tmp_path_factory: pytest.TempPathFactory) -> TrainingResult:
    return train(case_spec(case), tmp_path_factory.mktemp(f"reference-{case}"), node=NODE)


class Interrupted(Exception):
    """Raised from a checkpoint callback to stop training as a crash would."""


def heads(result: TrainingResult) -> list[tuple[int, float, str, str]]:
    return [(c.step, c.loss, c.weights_digest, c.chain_head) for c in result.checkpoints]


def test_the_same_run_twice_gives_the_same_digest(case: str, reference: TrainingResult, tmp_path: Path) -> None:
    again = train(case_spec(case), tmp_path, node=NODE)
    assert len(reference.checkpoints) >= 2
    assert (again.result_digest, again.chain_head, heads(again)) == (
        reference.result_digest, reference.chain_head, heads(reference))
    assert again.metric == reference.metric
    weights = torch.load(reference.model_path, weights_only=True)
    assert model_digest(weights, case_spec(case).determinism.digest_decimals) == reference.result_digest


_FRESH = """
import json, sys, traceback
from pathlib import Path
from nnc.runtimes.dispatch import train
from tests.nodes import NODE
from tests.runtimes.cases import case_spec
out, runs = Path(sys.argv[1]), json.loads(sys.argv[2])
digests = {}
for name, counts in runs.items():
    try:
        digests[name] = {n: train(case_spec(name, threads=int(n)), out / name / n, node=NODE).result_digest.hex()
                         for n in counts}
    except Exception:
        digests[name] = traceback.format_exc()
print(json.dumps(digests))
"""


def thread_counts(case: str) -> list[str]:
    """The `determinism.threads` a fresh process trains `case` at: 1, and 2 where the runtime's
    result does not depend on the count."""
    return ["1", "2"] if CASES[case].thread_invariant else ["1"]


@pytest.fixture(scope="module")
def fresh_digests(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str] | str]:
    """Every case trained in ONE fresh process whose machine-wide thread settings differ from this
    one's (2 of everything): case -> {threads: digest}, or the traceback of a case that failed.
    One process for all the runtimes, not one each: the imports are paid once (it is the process,
    not its count, that the check is about)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2",
           "TF_NUM_INTRAOP_THREADS": "2", "HF_HUB_OFFLINE": "1"}
    env.pop("XLA_FLAGS", None)
    runs = {case: thread_counts(case) for case in sorted(CASES)}
    out = subprocess.run([sys.executable, "-c", _FRESH, str(tmp_path_factory.mktemp("fresh")), json.dumps(runs)],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    digests: dict[str, dict[str, str] | str] = json.loads(out.stdout.strip().splitlines()[-1])
    return digests


def test_a_fresh_process_with_other_thread_settings_agrees(case: str, reference: TrainingResult,
                                                           fresh_digests: dict[str, dict[str, str] | str]) -> None:
    """The machine's own thread settings (2 of everything) do not leak into the digest; a runtime
    whose result does not depend on the thread count also agrees at `determinism.threads` 2."""
    digests = fresh_digests[case]
    assert isinstance(digests, dict), f"{case} failed in the fresh process:\n{digests}"
    assert digests == {n: reference.result_digest.hex() for n in thread_counts(case)}


def test_a_killed_run_resumes_to_the_same_digest(case: str, reference: TrainingResult, tmp_path: Path) -> None:
    def crash(checkpoint: Checkpoint) -> None:
        raise Interrupted

    with pytest.raises(Interrupted):
        train(case_spec(case), tmp_path, node=NODE, on_checkpoint=crash)
    resumed = train(case_spec(case), tmp_path, node=NODE)
    first = reference.checkpoints[0].step
    assert resumed.resumed_from == first
    assert (resumed.result_digest, resumed.chain_head, heads(resumed)) == (
        reference.result_digest, reference.chain_head, heads(reference))


def test_replay_reproduces_every_checkpoint(case: str, reference: TrainingResult) -> None:
    spec = case_spec(case)
    runtime = runtime_for(spec)
    data = runtime.load_data(spec)
    states = [load_checkpoint(c.path) for c in reference.checkpoints]
    for start, end in zip([None, *states[:-1]], states, strict=True):
        replayed = runtime.replay(spec, start, end.step, data)
        assert replayed.keys() == end.model.keys()
        assert all(torch.equal(replayed[key], end.model[key]) for key in replayed), f"step {end.step}"


def forge_one_step_short(spec: TaskSpec, honest: TrainingResult, workdir: Path) -> tuple[Path, bytes]:
    """A node's submission that trained one step less in its first segment and honestly after it
    (from its own short weights): a consistent chain from the node's genesis that only re-execution
    can tell from honest work. Built through the runtime's own replay, so it forges every runtime."""
    runtime = runtime_for(spec)
    data = runtime.load_data(spec)
    decimals = spec.determinism.digest_decimals
    head, history, start = chain_genesis(spec, NODE), [], None
    weights: dict[str, torch.Tensor] = {}
    for index, checkpoint in enumerate(honest.checkpoints):
        honest_state = load_checkpoint(checkpoint.path)
        weights = runtime.replay(spec, start, checkpoint.step - (1 if index == 0 else 0), data)
        link = next_link(head, checkpoint_path(workdir, checkpoint.step), checkpoint.step, honest_state.loss, weights,
                         decimals)
        history.append(link)
        save_checkpoint(link, spec_digest(spec), weights, honest_state.optimizer, list(history), node=NODE)
        head = bytes.fromhex(link.chain_head)
        start = CheckpointState(spec_digest(spec), checkpoint.step, honest_state.loss, weights,
                                honest_state.optimizer, list(history), NODE)
    atomic_save(weights, workdir / "model.pt")
    return workdir / "model.pt", model_digest(weights, decimals)


def test_the_spot_check_passes_honest_work_and_catches_a_short_segment(case: str, reference: TrainingResult,
                                                                       tmp_path: Path) -> None:
    spec = case_spec(case)
    segments = len(reference.checkpoints)
    honest = verify_submission(spec, reference.model_path.parent, reference.model_path, reference.result_digest,
                               node=NODE, seed=1, segments=segments, tolerance=0.0)
    assert honest.passed, honest.reason
    model_path, digest = forge_one_step_short(spec, reference, tmp_path)
    assert digest != reference.result_digest
    report = verify_submission(spec, tmp_path, model_path, digest, node=NODE, seed=1, segments=segments,
                               tolerance=1e-6)
    assert not report.passed and report.reason.startswith("segment"), report.reason


def test_the_standby_sandbox_commits_the_in_process_digest(case: str, reference: TrainingResult,
                                                           tmp_path: Path) -> None:
    """The worker's path: a sandboxed child started ahead of its job, warmed up by two real steps
    (offline, read-only home, memory limit), then handed the job."""
    from nnc.worker.sandboxed_training import run_training, start_standby

    spec = case_spec(case)
    limits = SandboxLimits(memory_mb=CASES[case].sandbox_memory_mb, seconds=180)
    warm = start_standby(spec, tmp_path, limits)
    result = run_training(spec, tmp_path, limits, node=NODE, warm=warm)
    assert not warm.alive and warm.process.returncode == 0  # it was the standby child that trained
    assert (result.result_digest, result.chain_head) == (reference.result_digest, reference.chain_head)


def test_the_dry_run_times_real_steps_of_the_model(case: str) -> None:
    spec = case_spec(case)
    timing = runtime_for(spec).time_steps(spec, 2)
    assert timing.steps == 2 and timing.seconds_per_step > 0 and timing.parameters > 0
    assert math.isfinite(timing.loss_after)


def test_weights_that_do_not_fit_are_refused(case: str, reference: TrainingResult) -> None:
    spec = case_spec(case)
    runtime = runtime_for(spec)
    weights = dict(torch.load(reference.model_path, weights_only=True))
    weights.pop(sorted(weights)[0])
    with pytest.raises(NNCError):
        runtime.evaluate(spec, weights, runtime.load_data(spec))
