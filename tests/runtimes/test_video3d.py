"""The `conv3d` video runtime beyond the conformance suite (`tests/runtimes/test_conformance.py`):
the generated `synthetic-video` set, its shards and random-access index, a set stored the way
`nnc data put DIR` stores it and trained from its uri, spec checks, and pricing against torch's
own FLOP count. The example reaching its acceptance threshold is `tests/unit/test_examples.py`."""

from __future__ import annotations

import json
import math
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from nnc.datasets import open_dataset
from nnc.datasets.shard_index import index_shards
from nnc.errors import DatasetError, TaskSpecError
from nnc.runtimes.dispatch import evaluate, train
from nnc.runtimes.video_classifier import VideoClassifierProgram, VideoData
from nnc.storage.archive import put_directory
from nnc.storage.local import LocalStore
from nnc.task import compute_units, model_macs, parse_spec
from nnc.training.data import fetch_dataset, load_dataset_digest
from nnc.training.synthetic_video import CLASSES, clip, video_digest, write_shards
from tests.nodes import NODE
from tests.runtimes.flops import counted_step_flops, one_step

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "video-actions-conv3d.json"


def example(**sections: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE.read_text())
    for section, fields in sections.items():
        data[section] = {**data[section], **fields}
    return data


def test_a_clip_is_a_function_of_its_index() -> None:
    frames, label = clip(7)
    again, same = clip(7)
    assert frames.shape == (16, 64, 64) and frames.dtype == np.uint8 and label == 7 % CLASSES == same
    assert np.array_equal(frames, again)
    assert not np.array_equal(frames, clip(13)[0])
    assert video_digest(12) == video_digest(12) != video_digest(13)


def test_direction_shows_only_across_frames() -> None:
    """A disc moving right and one moving left: the brightest column of the disc moves the other
    way, while the mean frame tells them apart no better than chance would."""
    right, left = clip(0)[0].astype(np.float64), clip(1)[0].astype(np.float64)
    centre = [np.argmax((frame > 130).sum(axis=0)) for frame in right]
    assert centre[-1] - centre[0] > 15
    centre = [np.argmax((frame > 130).sum(axis=0)) for frame in left]
    assert centre[0] - centre[-1] > 15


def test_shards_hold_the_generated_clips_and_are_read_by_index(tmp_path: Path) -> None:
    root = write_shards(tmp_path / "video", 10, per_shard=4)
    assert sorted(p.name for p in root.iterdir()) == ["shard-00000.tar", "shard-00001.tar", "shard-00002.tar"]
    index = index_shards(root)
    assert len(index) == 10 and index.labels.tolist() == [i % CLASSES for i in range(10)]
    for i in (0, 5, 9):
        assert np.array_equal(index.read(i), clip(i)[0])
    inputs, labels = open_dataset(root, "webdataset").arrays()  # the sequential reader agrees
    assert np.array_equal(inputs[9], clip(9)[0].astype(np.float32)) and labels.tolist() == index.labels.tolist()


def test_a_missing_compressed_or_incomplete_shard_is_refused(tmp_path: Path) -> None:
    root = write_shards(tmp_path / "video", 2)
    (tmp_path / "gz").mkdir()
    with tarfile.open(tmp_path / "gz" / "shard.tar", "w:gz") as tar:
        tar.add(root / "shard-00000.tar", arcname="x.npy")
    with pytest.raises(DatasetError, match="uncompressed tar"):
        index_shards(tmp_path / "gz")
    lonely = tmp_path / "lonely"
    lonely.mkdir()
    with pytest.raises(DatasetError, match="no .tar shard"):
        index_shards(lonely)
    with tarfile.open(lonely / "shard.tar", "w") as tar:
        tar.add(root / "shard-00000.tar", arcname="00000001.npy")
    with pytest.raises(DatasetError, match="without both"):
        index_shards(lonely)


def test_a_clip_of_another_shape_is_named(tmp_path: Path) -> None:
    data = VideoData(None, (16, 32, 32), np.arange(4), np.arange(4, 6))
    with pytest.raises(DatasetError, match=r"clip 0 is uint8 \(16, 64, 64\); the model takes"):
        data.clips(np.arange(2))


def test_a_stored_video_set_trains_from_its_uri(tmp_path: Path) -> None:
    """The shards go through `put_directory` (`nnc data put DIR`) into a store, the spec pins the
    uri and tree digest, the node fetches and trains from the fetched shards; the same uri at a
    wrong digest is refused."""
    store = LocalStore(tmp_path / "store")
    uri, digest = put_directory(store, write_shards(tmp_path / "video", 60, per_shard=16))
    spec = parse_spec(example(dataset={"uri": uri, "digest": digest, "format": "webdataset", "eval_fraction": 0.25},
                              model={"channels": [4], "pool": 4}, training={"steps": 4, "batch_size": 4,
                                                                             "checkpoint_interval": 2}))
    fetched = fetch_dataset(spec, store, tmp_path / "node")
    assert fetched is not None and load_dataset_digest(spec, fetched) == digest
    result = train(spec, tmp_path / "run", node=NODE, dataset_file=fetched)
    assert len(result.checkpoints) == 2
    data = VideoClassifierProgram(spec).load_data(fetched)
    assert isinstance(data, VideoData) and data.source is not None and len(data.eval) == 15
    assert evaluate(spec, torch.load(result.model_path, weights_only=True), fetched) == pytest.approx(result.metric)
    wrong = parse_spec(example(dataset={"uri": uri, "digest": "0" * 64, "format": "webdataset"}))
    with pytest.raises(DatasetError, match="digest"):
        VideoClassifierProgram(wrong).load_data(fetched)


def test_spec_checks() -> None:
    with pytest.raises(TaskSpecError, match="pool"):
        parse_spec(example(model={"pool": 3}))
    with pytest.raises(TaskSpecError, match="channels"):
        parse_spec(example(model={"channels": []}))
    with pytest.raises(TaskSpecError, match="kind"):
        parse_spec(example(model={"kind": "conv3d", "channels": [4]}) | {"framework": "jax"})
    motion = parse_spec(example(dataset={"name": "synthetic-motion", "digest": None}))
    with pytest.raises(DatasetError, match="no bundled clips"):
        VideoClassifierProgram(motion).load_data(None)


def test_pricing_equals_torchs_count_of_a_step() -> None:
    """6 FLOPs per MAC of the formula against FlopCounterMode's convs and matmul, forward and
    backward; the first conv computes no input gradient (the clips need none), which the
    formula charges anyway."""
    spec = one_step(parse_spec(example()))
    counted = counted_step_flops(VideoClassifierProgram(spec), spec)
    priced = 6 * model_macs(spec) * spec.schedule.batch_size
    assert compute_units(spec) == math.ceil(priced * spec.schedule.steps / 1_000_000)
    first_conv_input_grad = 2 * 1 * 8 * 27 * 16 * 32 * 32 * spec.schedule.batch_size
    assert priced == counted + first_conv_input_grad


def test_the_example_learns_direction(tmp_path: Path) -> None:
    """Trained, the example's network beats chance by far on clips whose classes differ only in
    direction (right, left, down, up): a model that ignored time could not."""
    spec = parse_spec(example(training={"steps": 150}))
    result = train(spec, tmp_path, node=NODE)
    program = VideoClassifierProgram(spec)
    data = program.load_data(None)
    model = program.build()
    program.load_weights(model, torch.load(result.model_path, weights_only=True))
    moving = data.eval[np.isin(data.eval % CLASSES, [0, 1, 2, 3])]
    with torch.no_grad():
        predicted = model(data.clips(moving)).argmax(dim=1)
    assert float((predicted == data.labels(moving)).float().mean()) > 0.7
