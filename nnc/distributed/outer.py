"""The outer step: the round's deltas averaged in node order, then the outer optimizer.

`outer_step` is bitwise deterministic on the CPU: float32 (the weights' dtype) throughout, one
elementwise operation at a time (a multiply, then an add: no fused multiply-add, whose single
rounding some kernels would use and others not), summed in node order, no reduction whose order
could depend on threads. The next start weights are so a pure function of the committed deltas,
the outer state and the spec, which anyone holding them can recompute.

The average: `g = Σ_i c_i · d_i` over the nodes present in node order, `c_i = w_i / Σ_present w`
(computed in float64, then rounded to the weights' dtype) with `w_i` the node weights (all 1 by
default); a node that missed the round (None) is left out and the others' weights renormalised.

The outer optimizer treats `g` as a gradient (DiLoCo's outer gradient). With momentum μ and the
buffer `m` (zero before the first step, so the first `m` is `g`): `m ← μ·m + g`; `nesterov`:
`update = g + μ·m`; `sgd`: `update = m`; then `next = start − lr·update`. This is
`torch.optim.SGD(momentum=μ, nesterov=…, dampening=0)`'s rule, written out so its order of
operations is ours. `sgd` with `lr` 1 and `momentum` 0 applies the averaged delta as it is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import torch

from nnc.errors import TrainingError
from nnc.task.parallel_spec import OuterSpec


@dataclass(frozen=True)
class OuterState:
    """The outer optimizer's state after `steps` outer steps: its momentum buffer (None before the
    first step). `tensor_bytes(state.momentum)` is what a round record would commit."""

    steps: int = 0
    momentum: dict[str, torch.Tensor] | None = None


def _node_coefficients(count: int, present: list[int], weights_of_nodes: Sequence[float] | None) -> dict[int, float]:
    weights = [1.0] * count if weights_of_nodes is None else [float(w) for w in weights_of_nodes]
    if len(weights) != count:
        raise TrainingError(f"{len(weights)} node weights for {count} nodes")
    bad = [i for i, w in enumerate(weights) if not (math.isfinite(w) and w > 0)]
    if bad:
        raise TrainingError(f"node weights must be positive and finite; node {bad[0]} has {weights[bad[0]]}")
    total = 0.0
    for i in present:
        total += weights[i]
    return {i: weights[i] / total for i in present}


def average_deltas(start_weights: Mapping[str, torch.Tensor],
                   deltas_in_node_order: Sequence[Mapping[str, torch.Tensor] | None],
                   weights_of_nodes: Sequence[float] | None = None) -> dict[str, torch.Tensor]:
    """The weighted average of the deltas present (see the module's notes), name → tensor."""
    present = [i for i, delta in enumerate(deltas_in_node_order) if delta is not None]
    if not present:
        raise TrainingError("no node handed in a delta this round: there is nothing to average")
    coefficients = _node_coefficients(len(deltas_in_node_order), present, weights_of_nodes)
    average = {}
    for name in sorted(start_weights):
        start = start_weights[name]
        total: torch.Tensor | None = None
        for i in present:
            delta = deltas_in_node_order[i]
            assert delta is not None
            if name not in delta:
                raise TrainingError(f"node {i}'s delta lacks weight {name!r}")
            part = delta[name]
            if part.shape != start.shape or part.dtype != start.dtype:
                raise TrainingError(f"node {i}'s delta of {name!r} is {part.dtype} {tuple(part.shape)}, the weights "
                                    f"are {start.dtype} {tuple(start.shape)}")
            term = part * torch.tensor(coefficients[i], dtype=start.dtype)
            total = term if total is None else total + term
        assert total is not None
        average[name] = total
    for i in present:
        delta = deltas_in_node_order[i]
        assert delta is not None
        extra = sorted(set(delta) - set(start_weights))
        if extra:
            raise TrainingError(f"node {i}'s delta has weight {extra[0]!r}, which the model lacks")
    return average


def outer_step(start_weights: Mapping[str, torch.Tensor],
               deltas_in_node_order: Sequence[Mapping[str, torch.Tensor] | None], outer_state: OuterState,
               outer_spec: OuterSpec, weights_of_nodes: Sequence[float] | None = None,
               ) -> tuple[dict[str, torch.Tensor], OuterState]:
    """(next start weights, next outer state) from the round's start weights and the deltas of its
    nodes in node order (None for a node that missed the round); see the module's notes."""
    gradient = average_deltas(start_weights, deltas_in_node_order, weights_of_nodes)
    momentum: dict[str, torch.Tensor] = {}
    next_weights: dict[str, torch.Tensor] = {}
    for name in sorted(start_weights):
        start = start_weights[name].detach()
        g = gradient[name]
        mu = torch.tensor(outer_spec.momentum, dtype=start.dtype)
        lr = torch.tensor(outer_spec.lr, dtype=start.dtype)
        previous = None if outer_state.momentum is None else outer_state.momentum.get(name)
        buffer = g.clone() if previous is None else previous * mu + g
        update = g + buffer * mu if outer_spec.optimizer == "nesterov" else buffer
        momentum[name] = buffer
        next_weights[name] = start - update * lr
    return next_weights, OuterState(outer_state.steps + 1, momentum)
