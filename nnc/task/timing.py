"""What a dry run measures: a few real optimisation steps of a spec, timed (every runtime returns it)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StepTiming:
    """`steps` real optimisation steps of a spec, timed without data loading or model building."""

    steps: int
    seconds_per_step: float
    parameters: int
    loss_after: float
