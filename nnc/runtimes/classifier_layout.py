"""The layout of the `mlp` and `cnn` classifiers that the non-torch runtimes (`jax`, `tensorflow`)
train: every weight's name and shape exactly as `nnc.training.build_model`'s `nn.Sequential` of the
same spec has them (an mlp's `0.weight` (out, in), `0.bias`, `2.weight`, …; a cnn's convolutions
`1.weight` (out, in, 3, 3), `1.bias`, `3.weight`, … after its Unflatten, and its head
`<2·convs + 2>.weight`), so that checkpoints, model files and digests are framework-neutral, and
the seeded initial weights every such runtime starts from alike is theirs to draw."""

from __future__ import annotations

from nnc.errors import TrainingError
from nnc.task import DATASET_SHAPES, ModelSpec, TaskSpec


def layer_shapes(spec: TaskSpec) -> dict[str, tuple[int, ...]]:
    """Name → shape of every weight, as `build_model(spec.model, …).state_dict()` has them."""
    if not isinstance(spec.model, ModelSpec):
        raise TrainingError(f"the {spec.framework} runtime trains mlp and cnn models, not {spec.model.kind!r}")
    shape = DATASET_SHAPES[spec.dataset.name]
    shapes: dict[str, tuple[int, ...]] = {}
    if spec.model.kind == "cnn":
        c_in, height, width = shape.input_shape
        for layer, c_out in enumerate(spec.model.channels):
            shapes[f"{2 * layer + 1}.weight"] = (c_out, c_in, 3, 3)
            shapes[f"{2 * layer + 1}.bias"] = (c_out,)
            c_in = c_out
        head = 2 * len(spec.model.channels) + 2
        shapes[f"{head}.weight"] = (shape.n_classes, c_in * height * width)
        shapes[f"{head}.bias"] = (shape.n_classes,)
        return shapes
    widths = [shape.n_inputs, *spec.model.hidden, shape.n_classes]
    for layer, (fan_in, fan_out) in enumerate(zip(widths, widths[1:], strict=False)):
        shapes[f"{2 * layer}.weight"] = (fan_out, fan_in)
        shapes[f"{2 * layer}.bias"] = (fan_out,)
    return shapes


def image_shape(spec: TaskSpec) -> tuple[int, int, int] | None:
    """(C, H, W) a cnn unflattens its inputs to; None for an mlp."""
    if isinstance(spec.model, ModelSpec) and spec.model.kind == "cnn":
        return DATASET_SHAPES[spec.dataset.name].input_shape
    return None
