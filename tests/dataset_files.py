"""Small datasets in every format a spec may name, written from the same arrays, for the tests
(and for the lead's end-to-end test): 8x8 grey digits, inputs (n, 1, 8, 8) in [0, 1]."""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import numpy as np
import numpy.typing as npt

Arrays = tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]


def digits(n: int = 60) -> Arrays:
    """The first `n` scikit-learn digits as images quantised to 8 bits (so a PNG round trip is exact)."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    pixels = np.round(np.asarray(bunch.data[:n]) / 16.0 * 255.0) / 255.0
    return pixels.reshape(n, 1, 8, 8).astype(np.float32), np.asarray(bunch.target[:n], dtype=np.int64)


def _png(image: npt.NDArray[np.float32]) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(np.round(image[0] * 255).astype(np.uint8), mode="L").save(out, format="PNG")
    return out.getvalue()


def write_npz(root: Path, arrays: Arrays) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    np.savez(root / "part-0.npz", inputs=arrays[0][: len(arrays[0]) // 2], labels=arrays[1][: len(arrays[1]) // 2])
    np.savez(root / "part-1.npz", inputs=arrays[0][len(arrays[0]) // 2:], labels=arrays[1][len(arrays[1]) // 2:])
    return root


def write_safetensors(root: Path, arrays: Arrays) -> Path:
    from safetensors.numpy import save_file

    root.mkdir(parents=True, exist_ok=True)
    save_file({"inputs": arrays[0], "labels": arrays[1]}, str(root / "data.safetensors"))
    return root


def write_parquet(root: Path, arrays: Arrays, text: list[str] | None = None) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    root.mkdir(parents=True, exist_ok=True)
    if text is not None:
        pq.write_table(pa.table({"text": text}), root / "corpus.parquet")
        return root
    inputs = pa.array([x.reshape(-1).tolist() for x in arrays[0]], type=pa.list_(pa.float32(), 64))
    table = pa.table({"inputs": inputs, "label": pa.array(arrays[1])})
    pq.write_table(table, root / "train.parquet", row_group_size=16)
    return root


def write_imagefolder(root: Path, arrays: Arrays) -> Path:
    for index, (image, label) in enumerate(zip(*arrays, strict=True)):
        folder = root / f"class-{label}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{index:05d}.png").write_bytes(_png(image))
    return root


def write_webdataset(root: Path, arrays: Arrays, shard_size: int = 25) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for start in range(0, len(arrays[1]), shard_size):
        with tarfile.open(root / f"shard-{start // shard_size:04d}.tar", "w") as shard:
            for index in range(start, min(start + shard_size, len(arrays[1]))):
                for ext, data in (("png", _png(arrays[0][index])), ("cls", str(int(arrays[1][index])).encode())):
                    info = tarfile.TarInfo(f"sample{index:05d}.{ext}")
                    info.size = len(data)
                    shard.addfile(info, io.BytesIO(data))
    return root


def write_hf_datasets(root: Path, arrays: Arrays, images: bool = True) -> Path:
    """A `save_to_disk` folder of a `DatasetDict` (train and test) with an Image and a ClassLabel
    feature, written by Hugging Face `datasets` itself."""
    import datasets

    features = datasets.Features({"image": datasets.Image() if images else datasets.Sequence(datasets.Value("float32")),
                                 "label": datasets.ClassLabel(num_classes=10)})
    rows = [{"image": {"bytes": _png(x), "path": None} if images else x.reshape(-1).tolist(), "label": int(y)}
            for x, y in zip(*arrays, strict=True)]
    half = len(rows) // 2
    split = datasets.DatasetDict({"train": datasets.Dataset.from_list(rows[:half], features=features),
                                  "test": datasets.Dataset.from_list(rows[half:], features=features)})
    split.save_to_disk(str(root))
    return root


WRITERS = {"npz": write_npz, "safetensors": write_safetensors, "parquet": write_parquet,
           "imagefolder": write_imagefolder, "webdataset": write_webdataset, "hf-datasets": write_hf_datasets}


def spec_with(base: dict[str, object], **dataset: object) -> dict[str, object]:
    """A copy of spec document `base` with its dataset section updated."""
    document = json.loads(json.dumps(base))
    document["dataset"].update(dataset)  # type: ignore[union-attr]
    return document
