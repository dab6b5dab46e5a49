"""The `face-embedding` model kind of the `torch` runtime: face verification.

What the conformance suite (`test_conformance.py`, case `face-embedding`) does not cover: the
`tar_at_far` metric and the ArcFace loss on hand-made numbers, the split by identity, the
generated identity set, a requester's LFW-layout image folder, the spec's checks, the quality
score, and pricing against torch's own FLOP count. The example reaching its acceptance threshold
is `tests/unit/test_examples.py` (a 6-second run); here it is trained once more to compare with
the untrained network.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from PIL import Image

from nnc.errors import DatasetError, TaskSpecError
from nnc.runtimes import runtime_for
from nnc.runtimes.dispatch import evaluate, train
from nnc.runtimes.face_embedding import FaceEmbeddingProgram, arcface_loss, identity_split, tar_at_far
from nnc.storage.archive import content_digest
from nnc.task import canonical_json, compute_units, load_spec, model_macs, parse_spec
from nnc.task.cost import parameter_count
from nnc.training import model_digest
from nnc.training.data import dataset_digest
from nnc.training.synthetic_faces import IDENTITIES, IMAGES_PER_IDENTITY, faces
from tests.nodes import NODE
from tests.runtimes.cases import case_spec
from tests.runtimes.flops import counted_step_flops, one_step

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "face-verification-arcface.json"


def example(**sections: dict[str, Any]) -> dict[str, Any]:
    """The example spec as a document, with fields of its sections replaced."""
    data: dict[str, Any] = json.loads(EXAMPLE.read_text())
    for section, fields in sections.items():
        data[section] = {**data[section], **fields}
    return data


def test_tar_at_far_counts_genuine_pairs_above_the_impostor_quantile() -> None:
    # four people, two images each, on a circle: genuine pairs at cosine 0.8 or 0.2, impostors lower
    angles = torch.tensor([0.0, 0.6435, 2.0, 2.0 + 1.3694, 4.0, 4.6435, 5.2, 5.2 + 1.3694], dtype=torch.float64)
    embeddings = torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)
    labels = torch.tensor([0, 0, 1, 1, 2, 2, 3, 3])
    similarity = embeddings @ embeddings.T
    genuine = [similarity[i, i + 1].item() for i in range(0, 8, 2)]
    assert genuine == pytest.approx([0.8, 0.2, 0.8, 0.2], abs=1e-4)
    impostor = sorted((similarity[i, j].item() for i in range(8) for j in range(i + 1, 8) if labels[i] != labels[j]),
                      reverse=True)
    assert len(impostor) == 24
    # FAR 0: the threshold is the highest impostor; FAR 1/24 lets exactly one impostor through
    expected = [sum(g > impostor[k] for g in genuine) / 4 for k in (0, 1, 12)]
    assert [tar_at_far(embeddings, labels, far) for far in (0.01, 1 / 24, 0.5)] == expected
    assert expected[0] <= expected[1] <= expected[2]
    with pytest.raises(DatasetError, match="genuine and impostor"):
        tar_at_far(embeddings[::2], labels[::2], 0.01)  # one image per person: no genuine pair


def test_arcface_widens_the_true_angle_by_the_margin() -> None:
    torch.manual_seed(0)
    embeddings = torch.nn.functional.normalize(torch.randn(6, 4), dim=1)
    centres = torch.randn(5, 4)
    labels = torch.tensor([0, 1, 2, 3, 4, 0])
    cosine = embeddings @ torch.nn.functional.normalize(centres, dim=1).T
    plain = torch.nn.functional.cross_entropy(cosine * 30.0, labels)
    assert arcface_loss(embeddings, centres, labels, 0.0, 30.0).item() == pytest.approx(plain.item(), rel=1e-5)
    theta = torch.acos(cosine.gather(1, labels[:, None])).squeeze(1)
    assert bool((theta + 0.3 < math.pi).all())
    widened = cosine.scatter(1, labels[:, None], torch.cos(theta + 0.3)[:, None])
    assert arcface_loss(embeddings, centres, labels, 0.3, 30.0).item() == pytest.approx(
        torch.nn.functional.cross_entropy(widened * 30.0, labels).item(), rel=1e-5)
    assert arcface_loss(embeddings, centres, labels, 0.3, 30.0) > plain


def test_the_split_holds_out_whole_identities() -> None:
    labels = np.repeat(np.arange(20), 3)
    train_idx, eval_idx = identity_split(labels, seed=5, eval_fraction=0.25)
    assert sorted([*train_idx, *eval_idx]) == list(range(60))
    assert not set(labels[train_idx]) & set(labels[eval_idx])
    assert len(set(labels[eval_idx])) == 5
    _, other = identity_split(labels, seed=6, eval_fraction=0.25)
    assert set(labels[other]) != set(labels[eval_idx])  # the seed chooses the strangers


def test_synthetic_faces_are_identities_on_the_8_bit_grid() -> None:
    inputs, labels = faces()
    assert inputs.shape == (IDENTITIES * IMAGES_PER_IDENTITY, 32 * 32) and inputs.dtype == np.float32
    assert np.array_equal(labels, np.repeat(np.arange(IDENTITIES), IMAGES_PER_IDENTITY))
    assert np.array_equal(np.rint(inputs * 255) / 255, inputs.astype(np.float64).astype(np.float32))
    assert dataset_digest(inputs, labels) == load_spec(EXAMPLE).dataset.digest  # the same bytes everywhere
    same = np.abs(inputs[0] - inputs[1]).mean()
    assert same < np.abs(inputs[0] - inputs[IMAGES_PER_IDENTITY]).mean() * 2  # images of a person vary...
    assert not np.array_equal(inputs[0], inputs[1])  # ...and are never copies


def test_the_example_learns_to_verify_strangers(tmp_path: Path) -> None:
    spec = load_spec(EXAMPLE)
    assert (spec.framework, spec.model.kind, spec.goal.metric, spec.goal.false_accept_rate) == (
        "torch", "face-embedding", "tar_at_far", 0.01)
    result = train(spec, tmp_path, node=NODE)
    runtime = runtime_for(spec)
    data = runtime.load_data(spec)
    untrained = runtime.evaluate(spec, runtime.replay(spec, None, 0, data), data)
    assert untrained < 0.1 < spec.goal.threshold <= result.metric
    weights = torch.load(result.model_path, weights_only=True)
    assert model_digest(weights, spec.determinism.digest_decimals) == result.result_digest
    assert sum(w.numel() for w in weights.values()) == parameter_count(spec)
    assert weights["identities"].shape == (128, 32)
    assert evaluate(spec, weights) == result.metric
    assert spec.goal.quality(result.metric) == result.metric  # the oracle scores it as it scores accuracy
    looser = spec.model_copy(update={"acceptance": spec.goal.model_copy(update={"far": 0.1})})
    assert evaluate(looser, weights) > result.metric  # a looser FAR accepts more genuine pairs


def test_a_collapsed_embedding_scores_nothing() -> None:
    """A model that maps every face to the same point makes every pair, impostors included, as
    similar as can be: ties at the threshold are rejected, so it verifies no one (scored 0 and
    not accepted) rather than everyone."""
    spec = case_spec("face-embedding")
    runtime = runtime_for(spec)
    data = runtime.load_data(spec)
    weights = runtime.replay(spec, None, 0, data)
    last = max(name for name in weights if name.startswith("features.") and name.endswith(".weight"))
    collapsed = {**weights, last: torch.zeros_like(weights[last]),
                 last.replace("weight", "bias"): torch.ones_like(weights[last.replace("weight", "bias")])}
    metric = runtime.evaluate(spec, collapsed, data)
    assert metric == 0.0 and spec.goal.quality(metric) == 0.0 and not spec.goal.accepts(metric)


def write_lfw_folder(root: Path, people: int, images: int) -> Path:
    """`people` sub-folders named as LFW names them, each with `images` RGB PNGs of 40x40 (the
    decoder converts them to the model's 32x32 grey), cut from the generated faces."""
    inputs, _ = faces()
    for person in range(people):
        folder = root / f"Person_{person:03d}"
        folder.mkdir(parents=True)
        for k in range(images):
            grey = (inputs[person * IMAGES_PER_IDENTITY + k].reshape(32, 32) * 255).astype(np.uint8)
            Image.fromarray(grey).convert("RGB").resize((40, 40)).save(folder / f"Person_{person:03d}_{k + 1:04d}.png")
    return root


def test_a_requesters_lfw_layout_folder_trains(tmp_path: Path) -> None:
    folder = write_lfw_folder(tmp_path / "lfw", people=8, images=4)
    document = example(model={"identities": 8},
                       dataset={"uri": "ipfs://lfw", "format": "imagefolder", "digest": content_digest(folder)},
                       training={"steps": 10, "checkpoint_interval": 5})
    spec = parse_spec(document)
    data = runtime_for(spec).load_data(spec, folder)
    assert data.train_x.shape == (24, 32 * 32) and data.eval_x.shape == (8, 32 * 32)
    assert not set(data.train_y.tolist()) & set(data.eval_y.tolist())
    result = train(spec, tmp_path / "work", node=NODE, dataset_file=folder)
    assert len(result.checkpoints) == 2 and 0.0 <= result.metric <= 1.0
    too_few = parse_spec({**document, "model": {**document["model"], "identities": 6}})
    with pytest.raises(DatasetError, match=r"identity 7 but model.identities is 6: set it to the number of "
                                           r"identities \(8\)"):
        runtime_for(too_few).load_data(too_few, folder)
    wrong = parse_spec({**document, "dataset": {**document["dataset"], "digest": "0" * 64}})
    with pytest.raises(DatasetError, match="digest"):
        runtime_for(wrong).load_data(wrong, folder)


def test_specs_are_checked() -> None:
    with pytest.raises(TaskSpecError, match="needs acceptance.metric 'tar_at_far'"):
        parse_spec(example(acceptance={"metric": "accuracy", "far": None}))
    with pytest.raises(TaskSpecError, match="far .* is for metric 'tar_at_far'"):
        parse_spec(example(model={"kind": "cnn", "channels": [8]}, acceptance={"metric": "accuracy"}))
    with pytest.raises(TaskSpecError, match="needs acceptance.metric 'accuracy'"):  # a classifier is not scored so
        parse_spec({**example(acceptance={"far": None}), "model": {"kind": "cnn", "channels": [8]}})
    with pytest.raises(TaskSpecError, match="model.identities of at least 128"):
        parse_spec(example(model={"identities": 100}))
    with pytest.raises(TaskSpecError, match="at most 1.0"):
        parse_spec(example(acceptance={"threshold": 1.5}))
    with pytest.raises(TaskSpecError, match="needs model.kind"):
        parse_spec({**example(), "framework": "jax"})
    with pytest.raises(TaskSpecError, match="far"):
        parse_spec(example(acceptance={"far": 1.0}))


def test_an_absent_far_stays_out_of_the_canonical_form() -> None:
    with_far = parse_spec(example())
    without = parse_spec(example(acceptance={"far": None}))
    assert b'"far":0.01' in canonical_json(with_far) and b'"far"' not in canonical_json(without)
    assert without.goal.false_accept_rate == with_far.goal.false_accept_rate == 0.01
    assert b'"far"' not in canonical_json(case_spec("torch"))  # older specs keep their digest


def test_compute_units_price_what_a_training_step_computes() -> None:
    """The pricing formula against torch's own count of one optimisation step's FLOPs (convs and
    matmuls, forward and backward: 6 FLOPs per MAC); the first conv computes no input gradient
    (the images need none), which the formula charges anyway (6 % of this step)."""
    spec = one_step(load_spec(EXAMPLE))
    counted = counted_step_flops(FaceEmbeddingProgram(spec), spec)
    priced = 6 * model_macs(spec) * spec.schedule.batch_size
    assert compute_units(spec) == math.ceil(priced / 1_000_000)
    first_conv_input_grad = 2 * 1 * 8 * 9 * 32 * 32 * spec.schedule.batch_size
    assert priced == counted + first_conv_input_grad
