"""Where an inference task's weights come from: one function, `inference_weights`.

Today: the spec's `init` weights (a safetensors file, fetched and checked against its digest by
`nnc.training.program_package.fetch_program_files`). A registered model of the library (a spec's
`base_model`) is one more branch here: fetch its weights, check their digest, return them.
"""

from __future__ import annotations

import torch

from nnc.errors import TrainingError
from nnc.task import TaskSpec
from nnc.training.init_weights import read_init_weights
from nnc.training.program_package import ProgramFiles


def inference_weights(spec: TaskSpec, files: ProgramFiles) -> dict[str, torch.Tensor]:
    """The weights `spec`'s model runs with (name → tensor), from what `files` fetched for it."""
    if spec.init is not None:
        if files.init is None:
            raise TrainingError(f"{spec.name!r}: its init weights ({spec.init.uri}) were not fetched "
                                f"(nnc.training.program_package.fetch_program_files)")
        return read_init_weights(files.init)
    raise TrainingError(f"{spec.name!r} names no weights to run: an inference task needs `init`")
