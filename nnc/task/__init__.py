"""Task specs: validation, canonical form, digest and compute-unit cost."""

from nnc.task.cost import compute_units, model_macs
from nnc.task.datasets import DATASET_SHAPES, TEXT_DATASETS, TEXT_VOCAB, DatasetShape, dataset_kind
from nnc.task.model_specs import (
    CausalLMSpec,
    Conv3DSpec,
    FaceEmbeddingSpec,
    LoraSpec,
    ModelSpec,
    ProgramModelSpec,
    RwkvLMSpec,
    TextLMSpec,
    UNetSpec,
)
from nnc.task.program_spec import BaseModelSpec, InitSpec, ProgramSpec
from nnc.task.spec import (
    FRAMEWORK_RULES,
    SPEC_VERSION,
    AcceptanceSpec,
    DatasetSpec,
    DeterminismSpec,
    ExecutionSpec,
    TaskSpec,
    TrainingSpec,
    canonical_json,
    load_spec,
    parse_spec,
    spec_digest,
)

__all__ = [
    "DATASET_SHAPES",
    "FRAMEWORK_RULES",
    "SPEC_VERSION",
    "TEXT_DATASETS",
    "TEXT_VOCAB",
    "AcceptanceSpec",
    "BaseModelSpec",
    "CausalLMSpec",
    "DatasetShape",
    "DatasetSpec",
    "DeterminismSpec",
    "ExecutionSpec",
    "Conv3DSpec",
    "FaceEmbeddingSpec",
    "InitSpec",
    "LoraSpec",
    "ModelSpec",
    "ProgramModelSpec",
    "ProgramSpec",
    "RwkvLMSpec",
    "TaskSpec",
    "TextLMSpec",
    "TrainingSpec",
    "UNetSpec",
    "canonical_json",
    "compute_units",
    "dataset_kind",
    "load_spec",
    "model_macs",
    "parse_spec",
    "spec_digest",
]
