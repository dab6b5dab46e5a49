"""An inference task for tests and benchmarks: a tiny digits MLP whose weights a short training
run made, stored as `init` safetensors, run over an .npz of digit images."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import save_file

from nnc.storage import sha256_file
from nnc.task import TaskSpec, parse_spec
from nnc.training.data import export_dataset
from nnc.training.models import build_model

TINY = Path(__file__).resolve().parent / "data" / "tiny-spec.json"


def write_weights(path: Path, hidden: tuple[int, ...] = (16,), seed: int = 3) -> Path:
    """An MLP's weights (digits in, ten classes out) as safetensors."""
    from nnc.task import DATASET_SHAPES, ModelSpec

    torch.manual_seed(seed)
    module = build_model(ModelSpec(kind="mlp", hidden=list(hidden), channels=[]), DATASET_SHAPES["sklearn-digits"])
    save_file({k: v.contiguous() for k, v in module.state_dict().items()}, str(path))
    return path


def write_inputs(path: Path, count: int) -> Path:
    """The first `count` digits as an .npz of `inputs` and `labels` (what a spec's uri names)."""
    full = export_dataset(parse_spec(json.loads(TINY.read_text())).dataset, path.with_suffix(".full.npz"))
    with np.load(full) as archive:
        inputs, labels = archive["inputs"], archive["labels"]
    reps = -(-count // len(inputs))
    with path.open("wb") as fh:
        np.savez(fh, inputs=np.tile(inputs, (reps, 1))[:count], labels=np.tile(labels, reps)[:count])
    full.unlink()
    return path


def inference_document(weights: Path, inputs: int, *, dataset: Path | None = None, uri: str | None = None,
                       hidden: tuple[int, ...] = (16,), **inference: Any) -> dict[str, Any]:
    """The spec of an inference task running `weights` (stored at their local content address
    unless `uri` says otherwise) over `inputs` digits: those of the .npz `dataset` (named by its
    local content address), or the bundled ones."""
    digest = sha256_file(weights)
    data: dict[str, Any] = {"name": "sklearn-digits", "eval_fraction": 0.2}
    if dataset is not None:
        data["uri"] = f"local://sha256/{sha256_file(dataset)}"
    section = {"inputs": inputs, "batch_size": 32, "shard_size": 64, "decimals": 4, "outputs": "logits", **inference}
    return {"version": 1, "name": "tiny digits inference (tests)", "framework": "torch",
            "model": {"kind": "mlp", "hidden": list(hidden), "channels": []},
            "dataset": data,
            "init": {"uri": uri or f"local://sha256/{digest}", "format": "safetensors", "digest": digest},
            "inference": section, "determinism": {"threads": 1, "digest_decimals": 6}}


def inference_spec(weights: Path, inputs: int, **options: Any) -> TaskSpec:
    return parse_spec(inference_document(weights, inputs, **options))
