"""Build the torch module a `ModelSpec` describes, for a dataset's sample shape.

Both kinds take flat inputs `(batch, C·H·W)` and return logits `(batch, classes)`; the cnn
unflattens to `(batch, C, H, W)` itself, so data loading does not depend on the model kind.
Layer sizes here must match `nnc.task.model_macs`, which prices the model.
"""

from __future__ import annotations

from torch import nn

from nnc.task import DatasetShape, ModelSpec


def build_model(model: ModelSpec, shape: DatasetShape) -> nn.Sequential:
    """A freshly initialised module (initialisation draws from torch's global RNG: seed it first).

    mlp: Linear(inputs → hidden_1), ReLU, …, Linear(hidden_last → classes).
    cnn: Conv2d(c_in → c, 3×3, padding 1), ReLU per entry of `channels`, then Flatten and
    Linear(c_last·H·W → classes).
    """
    layers: list[nn.Module] = []
    if model.kind == "mlp":
        width = shape.n_inputs
        for hidden in model.hidden:
            layers += [nn.Linear(width, hidden), nn.ReLU()]
            width = hidden
        layers.append(nn.Linear(width, shape.n_classes))
        return nn.Sequential(*layers)
    c_in, height, width = shape.input_shape
    layers.append(nn.Unflatten(1, shape.input_shape))
    for c_out in model.channels:
        layers += [nn.Conv2d(c_in, c_out, kernel_size=3, padding=1), nn.ReLU()]
        c_in = c_out
    layers += [nn.Flatten(), nn.Linear(c_in * height * width, shape.n_classes)]
    return nn.Sequential(*layers)
