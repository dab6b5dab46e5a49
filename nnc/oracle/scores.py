"""What an evaluation of a submitted model yields and the oracle reports (`reportQuality`).

A module of its own so that the daemon's side (the evaluation pool, the reports) names it without
loading what measures it (`nnc.oracle.quality`: torch and the runtimes, in the evaluation processes).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Quality:
    """The score and whether the spec accepts the model (`nnc.oracle.quality.evaluate_result`)."""

    score: int  # 0..10000
    accepted: bool  # the metric meets the spec's acceptance threshold (else: compute paid only)
