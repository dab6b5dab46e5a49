"""Canonical bytes of a name → tensor mapping (a delta, a round's start weights, outer state).

`tensor_bytes` writes safetensors (`safetensors.torch.save`) of the CPU tensors, contiguous, in
sorted name order, without metadata; safetensors' header lists the tensors in a fixed order of its
own (sorted), so the bytes are a pure function of the names, dtypes, shapes and values.
`tensor_digest` is SHA-256 of those bytes: the content address a node commits for its delta (a
`LocalStore` URI is `local://sha256/<that digest>`). Unlike `model_digest`, nothing is rounded:
the outer step is bitwise, so its inputs are committed bitwise.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import torch

from nnc.errors import TrainingError


def tensor_bytes(tensors: Mapping[str, torch.Tensor]) -> bytes:
    """The canonical safetensors bytes of `tensors` (see the module's notes)."""
    from safetensors.torch import save

    ordered = {name: tensors[name].detach().to("cpu").contiguous() for name in sorted(tensors)}
    data: bytes = save(ordered)
    return data


def tensor_digest(tensors: Mapping[str, torch.Tensor]) -> str:
    """SHA-256 (hex) of `tensor_bytes(tensors)`."""
    return hashlib.sha256(tensor_bytes(tensors)).hexdigest()


def tensors_from_bytes(data: bytes, what: str = "tensors") -> dict[str, torch.Tensor]:
    """The mapping `tensor_bytes` wrote; `TrainingError` naming `what` when `data` is not safetensors."""
    from safetensors import SafetensorError
    from safetensors.torch import load

    try:
        return load(data)
    except (SafetensorError, ValueError) as exc:
        raise TrainingError(f"{what} are not safetensors bytes: {exc}") from exc
