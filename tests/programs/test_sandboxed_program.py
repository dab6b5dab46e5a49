"""A requester's program in the sandbox: trained as a worker trains it, replayed and evaluated
by the sandboxed runtime as a verifier and the oracle do, and each kind of bad program stopped
with a message naming what went wrong."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from nnc.errors import TrainingError
from nnc.runtimes import runtime_for
from nnc.sandbox import SandboxLimitError, SandboxLimits, isolation
from nnc.task import TaskSpec
from nnc.training import load_checkpoint
from nnc.training.checkpoints import checkpoint_path
from nnc.training.program_package import ProgramFiles
from nnc.verification.procedure import verify_submission
from nnc.worker.sandboxed_training import run_training
from tests.nodes import NODE
from tests.programs.conftest import program_spec

pytestmark = pytest.mark.skipif(isolation() != "bwrap", reason="programs run only with bubblewrap")
LIMITS = SandboxLimits(memory_mb=3072, seconds=120)
Broken = Callable[[str], tuple[TaskSpec, ProgramFiles]]


def test_a_program_trains_in_the_sandbox_and_a_verifier_replays_it(resnet_package: Path, image_folder: Path,
                                                                    tmp_path: Path) -> None:
    spec, files = program_spec(resnet_package), ProgramFiles(resnet_package)
    result = run_training(spec, tmp_path / "work", LIMITS, node=NODE, dataset_file=image_folder, files=files)
    assert [c.step for c in result.checkpoints] == [4, 8, 12]
    runtime = runtime_for(spec, files, LIMITS)
    data = runtime.load_data(spec, image_folder)
    try:
        start = load_checkpoint(checkpoint_path(tmp_path / "work", 4))
        replayed = runtime.replay(spec, start, 8, data)
        claimed = load_checkpoint(checkpoint_path(tmp_path / "work", 8)).model
        assert replayed.keys() == claimed.keys() and all(torch.equal(replayed[k], claimed[k]) for k in claimed)
        model = torch.load(result.model_path, weights_only=True)
        assert runtime.evaluate(spec, model, data) == result.metric
    finally:
        data.close()
    report = verify_submission(spec, tmp_path / "work", result.model_path, result.result_digest, node=NODE, seed=3,
                               segments=2, tolerance=0.0, dataset_file=image_folder, files=files, limits=LIMITS)
    assert report.passed, report.reason
    assert report.replayed_steps == 8


def test_a_program_never_runs_in_process(resnet_package: Path, tmp_path: Path) -> None:
    from nnc.runtimes.dispatch import train

    with pytest.raises(TrainingError, match="trains in the worker's sandbox"):
        train(program_spec(resnet_package), tmp_path, node=NODE, files=ProgramFiles(resnet_package))


@pytest.mark.parametrize(("patch", "message"), [
    ("import not_installed_anywhere\n", r"program broken:make_program: cannot import 'broken' from its package: "
                                        r"ModuleNotFoundError: No module named 'not_installed_anywhere'"),
    ("x = 1\n", r"program broken:make_program: module 'broken' has no factory 'make_program'"),
    ("def make_program(spec):\n    return object()\n", r"lacks the Program method\(s\) load_data, build"),
    ("from resnet_cnn import *\nimport socket\n"
     "class P(ResNetProgram):\n"
     "    def load_data(self, dataset):\n"
     "        socket.create_connection(('1.1.1.1', 80), timeout=2)\n"
     "def make_program(spec):\n    return P(spec)\n",
     r"program broken:make_program: load_data raised OSError: .*(unreachable|Network)"),
    ("from resnet_cnn import *\n"
     "class P(ResNetProgram):\n"
     "    def build(self):\n"
     "        open('/etc/nnc-escape', 'w').write('x')\n"
     "def make_program(spec):\n    return P(spec)\n",
     r"program broken:make_program: build raised OSError: .*Read-only file system"),
    ("from resnet_cnn import *\n"
     "class P(ResNetProgram):\n"
     "    def loss(self, module, data, batch, step):\n"
     "        return super().loss(module, data, batch, step) * float('nan')\n"
     "def make_program(spec):\n    return P(spec)\n",
     r"program broken:make_program: the loss is nan at step 1: training diverged"),
    ("from resnet_cnn import *\nimport torch\n"
     "class P(ResNetProgram):\n"
     "    def loss(self, module, data, batch, step):\n        return torch.tensor(1.0)\n"
     "def make_program(spec):\n    return P(spec)\n",
     r"program broken:make_program: RuntimeError: element 0 of tensors does not require grad"),
])
def test_a_bad_program_fails_its_training_with_a_clear_message(broken_program: Broken, image_folder: Path,
                                                               tmp_path: Path, patch: str, message: str) -> None:
    spec, files = broken_program(patch)
    with pytest.raises(TrainingError, match=message):
        run_training(spec, tmp_path / "work", LIMITS, node=NODE, dataset_file=image_folder, files=files)


def test_a_program_over_its_time_limit_is_stopped(broken_program: Broken, image_folder: Path, tmp_path: Path) -> None:
    spec, files = broken_program("from resnet_cnn import *\nimport time\n"
                                 "class P(ResNetProgram):\n"
                                 "    def build(self):\n        time.sleep(60)\n"
                                 "def make_program(spec):\n    return P(spec)\n")
    with pytest.raises(SandboxLimitError, match="time limit of 8 s"):
        run_training(spec, tmp_path / "work", SandboxLimits(memory_mb=3072, seconds=8), node=NODE,
                     dataset_file=image_folder, files=files)


def test_a_program_over_its_memory_limit_is_stopped(broken_program: Broken, image_folder: Path,
                                                    tmp_path: Path) -> None:
    spec, files = broken_program("from resnet_cnn import *\n"
                                 "class P(ResNetProgram):\n"
                                 "    def build(self):\n        self.hog = bytearray(8 << 30)\n"
                                 "def make_program(spec):\n    return P(spec)\n")
    with pytest.raises(SandboxLimitError, match="memory limit of 3072 MB"):
        run_training(spec, tmp_path / "work", LIMITS, node=NODE, dataset_file=image_folder, files=files)


def test_weights_of_the_wrong_shape_fail_evaluation(resnet_package: Path, image_folder: Path) -> None:
    spec, files = program_spec(resnet_package), ProgramFiles(resnet_package)
    runtime = runtime_for(spec, files, LIMITS)
    with pytest.raises(TrainingError, match="(?s)the weights do not fit its model: .*size mismatch for head.weight"):
        data = runtime.load_data(spec, image_folder)
        try:
            weights = runtime.replay(spec, None, 1, data)
            weights["head.weight"] = torch.zeros(5, 5)
            runtime.evaluate(spec, weights, data)
        finally:
            data.close()


def test_the_dry_run_times_a_program_in_the_sandbox_and_catches_a_broken_one(
        resnet_package: Path, broken_program: Broken, image_folder: Path) -> None:
    from nnc.chain.profiles import DEVNET
    from nnc.node.estimate import estimate, terms_from_profile

    terms = terms_from_profile(DEVNET, "a unit test")
    spec = program_spec(resnet_package)
    assert estimate(spec, terms, steps=3, dataset_file=image_folder).untimed_reason == (
        "its program package or init weights were not fetched")
    report = estimate(spec, terms, steps=3, dataset_file=image_folder, files=ProgramFiles(resnet_package))
    assert report.steps_measured == 3 and report.seconds_per_step is not None and report.loss_after is not None
    broken, files = broken_program("from resnet_cnn import *\n"
                                   "class P(ResNetProgram):\n"
                                   "    def metric(self, module, data):\n        return 1.0\n"
                                   "    def loss(self, module, data, batch, step):\n        return torch.tensor(1.0)\n"
                                   "import torch\n"
                                   "def make_program(spec):\n    return P(spec)\n")
    with pytest.raises(TrainingError, match="program broken:make_program: RuntimeError: element 0 of tensors "
                                            "does not require grad"):
        estimate(broken, terms, steps=3, dataset_file=image_folder, files=files)


def test_the_dry_run_warns_when_a_program_does_not_reproduce(broken_program: Broken, image_folder: Path) -> None:
    """A loss scaled by fresh OS randomness trains differently each run: the requester hears that
    replicate mode will not agree, and which mode to use; a reproducible program gets no warning."""
    from nnc.chain.profiles import DEVNET
    from nnc.node.estimate import estimate, terms_from_profile

    terms = terms_from_profile(DEVNET, "a unit test")
    spec, files = broken_program("import os\nfrom resnet_cnn import *\n"
                                 "class P(ResNetProgram):\n"
                                 "    def loss(self, module, data, batch, step):\n"
                                 "        noise = 1 + int.from_bytes(os.urandom(2), 'big') / 65536\n"
                                 "        return super().loss(module, data, batch, step) * noise\n"
                                 "def make_program(spec):\n    return P(spec)\n")
    report = estimate(spec, terms, steps=2, dataset_file=image_folder, files=files, replication=2)
    assert report.reproducible is False and report.determinism_warning is not None
    assert "replicate mode (replication > 1) will not agree" in report.determinism_warning
    assert "a spot-check with tolerance at least" in report.determinism_warning
    steady = estimate(program_spec(files.package), terms, steps=2, dataset_file=image_folder,  # type: ignore[arg-type]
                      files=ProgramFiles(files.package), replication=2)
    assert steady.reproducible is True and steady.determinism_warning is None
