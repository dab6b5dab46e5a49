"""Spot-check verification: re-executing checkpoint segments of someone else's training.

`verify_submission` is what a verifier (picked on-chain by `SpotCheck`) runs over a trainer's
checkpoints and final model; `choose_segments` derives the segments from the on-chain seed, so
anyone (a DAO juror) can repeat the same check. `nnc.verification.adversaries` holds dishonest
trainers, for tests and benchmarks only.
"""

from nnc.verification.procedure import SegmentResult, VerificationReport, verify_submission
from nnc.verification.segments import choose_segments, segment_bounds

__all__ = ["SegmentResult", "VerificationReport", "choose_segments", "segment_bounds", "verify_submission"]
