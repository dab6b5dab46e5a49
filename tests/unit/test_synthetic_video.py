"""The generated video clips (`nnc.training.synthetic_video`) and their sharded, memory-mapped store."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nnc.errors import DatasetError
from nnc.training.synthetic_video import CLASSES, FRAMES, SIZE, ShardedClips, clip, write_shards


def test_a_clip_is_a_function_of_its_index_and_the_classes_differ() -> None:
    first, label = clip(5)
    again, label_again = clip(5)
    assert first.shape == (FRAMES, SIZE, SIZE) and first.dtype == np.uint8
    assert np.array_equal(first, again) and label == label_again
    assert not np.array_equal(first, clip(6)[0])
    assert set(clip(i)[1] for i in range(60)) == set(range(CLASSES))


def test_shards_read_back_the_clips_they_were_written_from(tmp_path: Path) -> None:
    write_shards(tmp_path, 20, shard_size=8)
    store = ShardedClips(tmp_path)
    assert len(store) == 20 and len(list(tmp_path.glob("*.clips.npy"))) == 3
    batch = store.batch(np.array([19, 0, 9]))
    for got, index in zip(batch, (19, 0, 9), strict=True):
        assert np.array_equal(got, clip(index)[0])
    assert list(store.labels[[19, 0, 9]]) == [clip(i)[1] for i in (19, 0, 9)]


def test_a_folder_without_shards_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no video shards"):
        ShardedClips(tmp_path)
