"""The `tensorflow` runtime (Keras 3 on the TensorFlow backend): torch's weight layout (the same
classifier, the same accuracy in torch), pricing against TensorFlow's own FLOP count of a training
step, the thread count fixed per process, the spec's rules, and the example reaching its
acceptance, and the spot-check adversaries forging Keras runs. Determinism, resumption, replay,
the spot-check of honest work and the sandbox: `test_conformance.py`."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
import torch

pytest.importorskip("tensorflow")

from nnc.errors import TaskSpecError, TrainingError  # noqa: E402
from nnc.runtimes.dispatch import train  # noqa: E402
from nnc.runtimes.keras_classifier import KerasClassifier  # noqa: E402
from nnc.task import DATASET_SHAPES, ModelSpec, load_spec, parse_spec  # noqa: E402
from nnc.task.cost import classifier_macs  # noqa: E402
from nnc.training import TrainingResult, build_model, model_digest  # noqa: E402
from nnc.training.checkpoints import list_checkpoints  # noqa: E402
from nnc.training.data import load_data  # noqa: E402
from tests.nodes import NODE  # noqa: E402
from tests.runtimes.cases import CASES, case_spec  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "digits-cnn-keras.json"


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> TrainingResult:
    return train(case_spec("tensorflow"), tmp_path_factory.mktemp("keras"), node=NODE)


def test_weights_are_the_torch_cnn_and_classify_alike(reference: TrainingResult) -> None:
    spec = case_spec("tensorflow")
    final = torch.load(reference.model_path, weights_only=True)
    assert list(final) == ["1.weight", "1.bias", "4.weight", "4.bias"]
    assert model_digest(final, spec.determinism.digest_decimals) == reference.result_digest
    assert isinstance(spec.model, ModelSpec)
    module = build_model(spec.model, DATASET_SHAPES[spec.dataset.name])
    module.load_state_dict(final)
    data = load_data(spec)
    with torch.no_grad():
        torch_accuracy = float((module(data.eval_x).argmax(1) == data.eval_y).float().mean())
    assert reference.metric > 0.5
    assert abs(torch_accuracy - reference.metric) <= 1.5 / len(data.eval_y)  # float rounding may flip one


def test_pricing_is_tensorflows_own_count_of_the_convolutions_and_matmuls() -> None:
    """A training step's FLOPs as TensorFlow's profiler counts them in the traced step's graph:
    its convolutions and matmuls (forward, input and weight gradients) are the priced 6 FLOPs per
    MAC exactly; bias adds and Adam's elementwise updates add under 2% that is not priced."""
    from tensorflow.python.profiler import model_analyzer, option_builder

    spec = load_spec(EXAMPLE)
    model = KerasClassifier(spec)
    tf, batch = model.tf, spec.schedule.batch_size
    n_inputs = DATASET_SHAPES[spec.dataset.name].n_inputs
    graph = model._step.get_concrete_function(tf.TensorSpec((batch, n_inputs), tf.float32),
                                              tf.TensorSpec((batch,), tf.int64), tf.TensorSpec((), tf.float32)).graph
    options = option_builder.ProfileOptionBuilder(option_builder.ProfileOptionBuilder.float_operation()
                                                  ).with_empty_output().build()
    profile = model_analyzer.profile(graph=graph, options=options)
    products = sum(node.total_float_ops for node in profile.children
                   if any(op in node.name for op in ("convolution", "MatMul", "Conv2DBackprop")))
    assert isinstance(spec.model, ModelSpec)
    priced = 6 * classifier_macs(spec.model, spec.dataset.name) * batch
    assert products == priced
    assert priced < profile.total_float_ops < 1.02 * priced


def test_one_process_keeps_one_thread_count() -> None:
    KerasClassifier(case_spec("tensorflow"))  # TensorFlow runs with the spec's one thread from now on
    with pytest.raises(TrainingError, match="intra-op thread"):
        KerasClassifier(case_spec("tensorflow", threads=2))


def test_specs_are_checked() -> None:
    base = {"version": 1, "determinism": {"threads": 1, "digest_decimals": 6}, **CASES["tensorflow"].spec}
    with pytest.raises(TaskSpecError, match="lora"):
        parse_spec({**base, "model": {"kind": "cnn", "channels": [4],
                                      "lora": {"rank": 4, "alpha": 8.0, "targets": ["c_attn"]}}})
    with pytest.raises(TaskSpecError, match="CPU only"):
        parse_spec({**base, "execution": {"device": "cuda"}})
    with pytest.raises(TaskSpecError):
        parse_spec({**base, "model": {"kind": "causal-lm", "layers": 1, "width": 16, "heads": 2, "context": 16}})


def test_the_example_trains_to_its_acceptance(tmp_path: Path) -> None:
    spec = load_spec(EXAMPLE)
    assert (spec.framework, spec.model.kind, os.environ.get("KERAS_BACKEND")) == ("tensorflow", "cnn", "tensorflow")
    result = train(spec, tmp_path, node=NODE)
    assert spec.acceptance is not None
    assert result.accepted and result.metric >= spec.acceptance.threshold + 0.05


@pytest.mark.parametrize("kind", ["lazy", "noisy", "copier"])
def test_spot_check_catches_a_dishonest_keras_run(tmp_path: Path, kind: str) -> None:
    """The adversaries of `nnc.verification.adversaries`, forging runs with the Keras runtime's own
    steps (`_keras_plan`): a consistent chain from NODE's genesis that does not replay."""
    from nnc.verification import verify_submission
    from nnc.verification.adversaries import make

    spec = case_spec("tensorflow")
    run = make(kind, spec, tmp_path, NODE, random.Random(5))
    report = verify_submission(spec, tmp_path, run.model_path, run.result_digest, node=NODE, seed=1,
                               segments=len(list_checkpoints(tmp_path)), tolerance=1e-4)
    assert not report.passed and report.reason.startswith("segment"), report.reason


def test_an_adversary_trains_the_keras_model_itself(tmp_path: Path, reference: TrainingResult) -> None:
    """A `lazy` forger that skips no step of a segment is the honest run: its final weights are the
    runtime's, so the adversaries above are caught by their shortcut, not by another framework."""
    from nnc.verification import adversaries

    spec = case_spec("tensorflow")
    run = adversaries._train_plan(spec, tmp_path, NODE, lambda index: None)
    assert run.result_digest == reference.result_digest


def test_a_sandbox_below_tensorflows_floor_is_refused_by_name(tmp_path: Path) -> None:
    """Under TensorFlow's measured memory floor the sandboxed child fails with the limit named, not
    with a broken import deep inside TensorFlow (what a 2048 MB limit gives without the check)."""
    from nnc.errors import NNCError
    from nnc.runtimes.keras_backend import MEMORY_FLOOR_MB
    from nnc.sandbox import SandboxLimits
    from nnc.worker.sandboxed_training import run_training

    with pytest.raises(NNCError, match=f"at least {MEMORY_FLOOR_MB} MB"):
        run_training(case_spec("tensorflow"), tmp_path, SandboxLimits(memory_mb=MEMORY_FLOOR_MB - 512, seconds=60),
                     node=NODE)
