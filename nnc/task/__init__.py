"""Task specs: validation, canonical form, digest and compute-unit cost."""

from nnc.task.spec import (
    DATASET_SHAPES,
    SPEC_VERSION,
    AcceptanceSpec,
    DatasetShape,
    DatasetSpec,
    DeterminismSpec,
    ModelSpec,
    TaskSpec,
    TrainingSpec,
    canonical_json,
    compute_units,
    load_spec,
    model_macs,
    parse_spec,
    spec_digest,
)

__all__ = [
    "DATASET_SHAPES",
    "SPEC_VERSION",
    "AcceptanceSpec",
    "DatasetShape",
    "DatasetSpec",
    "DeterminismSpec",
    "ModelSpec",
    "TaskSpec",
    "TrainingSpec",
    "canonical_json",
    "compute_units",
    "load_spec",
    "model_macs",
    "parse_spec",
    "spec_digest",
]
