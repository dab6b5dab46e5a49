"""The example specs under examples/: each parses, pins its dataset, names a known runtime, and the
torch domain templates (vision, audio, video) train to their own acceptance threshold."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from nnc.runtimes import RUNTIMES
from nnc.runtimes.dispatch import train
from nnc.storage.archive import content_digest
from nnc.task import compute_units, dataset_kind, load_spec
from nnc.training.data import load_dataset_digest
from tests.nodes import NODE

PROGRAMS = Path(__file__).parents[2] / "examples" / "programs"
EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.json"))


def write_image_folder(dest: Path) -> Path:
    """The example program's toy image folder, as `make_dataset.py` writes it by default."""
    sys.path.insert(0, str(PROGRAMS / "resnet_cnn"))
    try:
        from make_dataset import write_image_folder as write
    finally:
        sys.path.remove(str(PROGRAMS / "resnet_cnn"))
    return write(dest)  # type: ignore[no-any-return]


DOMAINS = {"vision-digits-cnn.json": "sklearn-digits", "audio-tones-cnn.json": "synthetic-tones",
           "video-motion-cnn.json": "synthetic-motion",
           "face-verification-arcface.json": "synthetic-faces",
           "video-actions-conv3d.json": "synthetic-video"}


def test_every_domain_has_a_template() -> None:
    names = {path.name for path in EXAMPLES}
    assert set(DOMAINS) <= names
    frameworks = {load_spec(path).framework for path in EXAMPLES}
    assert "torch" in frameworks
    assert any(dataset_kind(load_spec(path).dataset.name) == "text" for path in EXAMPLES), "no text template"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_parses_and_prices(path: Path, tmp_path: Path) -> None:
    spec = load_spec(path)
    assert spec.framework in RUNTIMES
    assert compute_units(spec) > 0
    if spec.dataset.name == "custom":  # a program's own data: the digest of what its script writes
        assert content_digest(write_image_folder(tmp_path / "data")) == spec.dataset.digest
    elif spec.dataset.digest is not None:
        assert load_dataset_digest(spec) == spec.dataset.digest


@pytest.mark.parametrize("name", sorted(DOMAINS))
def test_domain_template_trains_to_acceptance(name: str, tmp_path: Path) -> None:
    spec = load_spec(Path(__file__).parents[2] / "examples" / name)
    assert spec.dataset.name == DOMAINS[name]
    result = train(spec, tmp_path, node=NODE)
    assert result.accepted, f"{name}: {spec.acceptance.metric} {result.metric} misses {spec.acceptance.threshold}"


TRAINED_ELSEWHERE = {
    "digits-mlp-jax.json": "tests/runtimes/test_jax_classifier.py",
    "digits-cnn-jax.json": "tests/runtimes/test_jax_cnn.py",
    "digits-cnn-keras.json": "tests/runtimes/test_keras.py",
    "text-generation-transformers.json": "tests/runtimes/test_generation.py",
    "text-generation-rwkv.json": "tests/runtimes/test_rwkv.py", "program-resnet-cnn.json": "tests/programs",
    "speech-digits-whisper.json": "tests/runtimes/test_whisper.py",
}
"""Examples whose training to acceptance is tested with their runtime's own tests."""
RUNTIME_TEMPLATES = ["digits-mlp.json", "text-lora-peft.json", "image-generation-lora-diffusers.json"]


def test_every_training_example_is_trained_to_its_acceptance_by_some_test() -> None:
    trains = {path.name for path in EXAMPLES if load_spec(path).inference is None and load_spec(path).acceptance}
    # a fine-tuning of a registered model needs the library: tests/e2e/test_model_library_flow.py runs that flow
    library = {name for name in trains if "from-library" in name}
    assert trains - library == set(DOMAINS) | set(TRAINED_ELSEWHERE) | set(RUNTIME_TEMPLATES)


@pytest.mark.parametrize("name", RUNTIME_TEMPLATES)
def test_runtime_template_trains_to_acceptance(name: str, tmp_path: Path) -> None:
    spec = load_spec(Path(__file__).parents[2] / "examples" / name)
    result = train(spec, tmp_path, node=NODE)
    assert result.accepted, f"{name}: {spec.acceptance.metric} {result.metric} misses {spec.acceptance.threshold}"
