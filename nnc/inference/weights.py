"""Where an inference task's weights come from: one function, `inference_weights`.

The spec's `init` weights (a safetensors file, fetched and checked against its digest by
`nnc.training.program_package.fetch_program_files`) or its `base_model`, a registered model of
the library (its file fetched and checked against the registered digest by
`nnc.library.fetch_task_files`). Either way the node hands the checked file over as
`ProgramFiles.init`, and it is read here.
"""

from __future__ import annotations

import torch

from nnc.errors import TrainingError
from nnc.task import TaskSpec
from nnc.training.init_weights import read_init_weights
from nnc.training.program_package import ProgramFiles


def inference_weights(spec: TaskSpec, files: ProgramFiles) -> dict[str, torch.Tensor]:
    """The weights `spec`'s model runs with (name → tensor), from what `files` fetched for it."""
    if not spec.starts_from_weights:
        raise TrainingError(f"{spec.name!r} names no weights to run: an inference task needs `init` or `base_model`")
    if files.init is None:
        what = f"init weights ({spec.init.uri})" if spec.init is not None else \
            f"base model {spec.base_model.id if spec.base_model else '?'}"
        raise TrainingError(f"{spec.name!r}: its {what} were not fetched (nnc.library.fetch_task_files)")
    return read_init_weights(files.init)
