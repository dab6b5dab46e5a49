"""A node's inner optimizer state, carried from one of its rounds to the next, as named tensors.

DiLoCo keeps each node's inner optimizer (Adam) across rounds; so do we. For a verifier to replay
a (node, round) pair, the state the node started the round with must be public: every node
commits, with its delta, the state its round ended with (`nnc.distributed.commitment`), and the
next round of that node starts from it.

The canonical form, `InnerState`: name → tensor, one entry per (parameter, state key) of the
optimizer's per-parameter state, named `"<parameter name>/<key>"` with the parameter's name in
the model (`module.named_parameters()`), e.g. `"0.weight/exp_avg"`, `"0.weight/step"`
(Adam's step counter is a float32 0-d tensor, as torch keeps it; every other entry has its
parameter's shape). The optimizer's hyperparameters are not part of it: they are the spec's. A
stateless optimizer (SGD without momentum) has the empty state. Its bytes and digest are
`tensor_bytes` / `tensor_digest`, so bitwise.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn

from nnc.errors import TrainingError

InnerState = dict[str, torch.Tensor]
"""The optimizer's per-parameter state, canonical (see the module's notes)."""


def _parameter_names(module: nn.Module, optimizer: torch.optim.Optimizer) -> list[tuple[str, nn.Parameter]]:
    """The optimizer's parameters in its order, each with its name in `module`."""
    names = {id(parameter): name for name, parameter in module.named_parameters()}
    named = []
    for group in optimizer.param_groups:
        for parameter in group["params"]:
            if id(parameter) not in names:
                raise TrainingError("the inner optimizer holds a parameter that is not the model's")
            named.append((names[id(parameter)], parameter))
    return named


def optimizer_state(module: nn.Module, optimizer: torch.optim.Optimizer) -> InnerState:
    """The canonical `InnerState` of `optimizer` over `module`'s parameters (copies, on the CPU)."""
    state: InnerState = {}
    for name, parameter in _parameter_names(module, optimizer):
        for key, value in optimizer.state.get(parameter, {}).items():
            if value is None:
                continue
            if not isinstance(value, torch.Tensor):
                raise TrainingError(f"the inner optimizer keeps {key!r} of {name!r} as {type(value).__name__}, "
                                    "not a tensor: its state has no canonical form")
            state[f"{name}/{key}"] = value.detach().to("cpu", copy=True)
    return state


def load_optimizer_state(module: nn.Module, optimizer: torch.optim.Optimizer, state: Mapping[str, torch.Tensor],
                         what: str = "the inner state") -> None:
    """Puts `state` (as `optimizer_state` gave it) into a freshly made `optimizer` over `module`;
    `TrainingError` naming `what` when it is not a state of this model's parameters."""
    named = _parameter_names(module, optimizer)
    by_name = dict(named)
    per_parameter: dict[str, dict[str, torch.Tensor]] = {}
    for entry, tensor in state.items():
        name, slash, key = entry.rpartition("/")
        if not slash or name not in by_name:
            raise TrainingError(f"{what} holds {entry!r}, which is no '<parameter>/<key>' of the model's "
                                f"trainable parameters")
        parameter = by_name[name]
        counter = key == "step" and tensor.dim() == 0  # Adam's step counter; every other entry is per weight
        if not counter and tensor.shape != parameter.shape:
            raise TrainingError(f"{what}'s {entry!r} is {tuple(tensor.shape)}, the parameter "
                                f"{tuple(parameter.shape)}")
        if not tensor.is_floating_point():
            raise TrainingError(f"{what}'s {entry!r} is {tensor.dtype}, not a floating tensor")
        # per-parameter tensors live with the parameter; 0-d counters (Adam's step) stay on the CPU
        device = parameter.device if tensor.dim() > 0 else torch.device("cpu")
        per_parameter.setdefault(name, {})[key] = tensor.detach().to(device, copy=True)
    optimizer.state.clear()
    for name, parameter in named:
        if name in per_parameter:
            optimizer.state[parameter] = per_parameter[name]
