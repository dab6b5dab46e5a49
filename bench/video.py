"""Video training streamed from storage: peak memory and clips/s of the `conv3d` example on a
generated `synthetic-video` set stored as WebDataset shards larger than the memory it may use.

`--clips` clips (16 frames of 64x64, uint8: 65,536 bytes each; 2000 clips = 131 MB) are written
as shards of 256 clips, a clip at a time. The example spec, its dataset pointed at those shards
(format `webdataset`, the tree digest pinned), is trained for `--steps` steps through
`nnc.runtimes.dispatch.train`: digest check over every shard, index, batches read by index,
checkpoints, final evaluation on the eval split (after a 2-step warm-up run, so torch's one-time
costs of a first conv3d step are not counted). Memory is the process's peak resident set during
training above its resident set just before (`nnc.resources.peak_memory`): were the set loaded
whole, it would be at least its size.

The last line is one JSON object: `clips`, `dataset_mb`, `steps`, `batch_size`,
`train_seconds`, `clips_per_second` (training clips read and trained per second of the whole
run), `peak_rss_mb_over_start` and `peak_rss_fraction_of_dataset`.

    .venv/bin/python bench/video.py [--clips 2000] [--steps 100]  [--quick]

`--quick` (run by tests/bench): 64 clips, 4 steps.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from nnc.paths import REPO_ROOT
from nnc.resources import peak_memory
from nnc.runtimes.dispatch import train
from nnc.storage.archive import content_digest
from nnc.storage.local import LocalStore
from nnc.task import parse_spec
from nnc.training.synthetic_video import FRAMES, SIZE, write_shards

NODE = "0x" + "be" * 20
EXAMPLE = REPO_ROOT / "examples" / "video-actions-conv3d.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    clips, steps = (64, 4) if args.quick else (args.clips, args.steps)
    with tempfile.TemporaryDirectory() as tmp:
        root = write_shards(Path(tmp) / "video", clips)
        digest = content_digest(root)
        data = json.loads(EXAMPLE.read_text())
        data["dataset"] = {**data["dataset"], "uri": LocalStore.uri_for(digest), "digest": digest,
                           "format": "webdataset", "eval_fraction": 0.05}
        data["training"] = {**data["training"], "steps": steps, "checkpoint_interval": max(1, steps // 4)}
        spec = parse_spec(data)
        warm = {**data, "training": {**data["training"], "steps": 2, "checkpoint_interval": 1}}
        train(parse_spec(warm), Path(tmp) / "warm", node=NODE, dataset_file=root)  # torch's one-time costs
        started = time.perf_counter()
        with peak_memory() as peak:
            train(spec, Path(tmp) / "run", node=NODE, dataset_file=root)
        seconds = time.perf_counter() - started
    dataset_mb = clips * FRAMES * SIZE * SIZE / 1e6
    print(json.dumps({
        "clips": clips, "dataset_mb": round(dataset_mb, 1), "steps": steps, "batch_size": spec.schedule.batch_size,
        "train_seconds": round(seconds, 2), "clips_per_second": round(steps * spec.schedule.batch_size / seconds, 1),
        "peak_rss_mb_over_start": round(peak.mb_over_start, 1),
        "peak_rss_fraction_of_dataset": round(peak.mb_over_start / dataset_mb, 3)}))


if __name__ == "__main__":
    main()
