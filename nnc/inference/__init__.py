"""Inference tasks: running a model over the inputs of a spec with an `inference` section.

`run_inference` runs every shard in this process; `run_sandboxed` runs it in the sandbox (the
worker's way, and the only way for a requester's program); `rerun_sandboxed` re-runs chosen
shards for a spot-check. The outputs, their digests and the chain the result digest heads are
`nnc.inference.outputs`'s; the weights come from `inference_weights`.
"""

from nnc.inference.outputs import outputs_digest, read_outputs, shard_digest, write_outputs
from nnc.inference.runner import OUTPUTS_FILE, InferenceResult, LoadedModel, load_model, run_inference, run_shards
from nnc.inference.weights import inference_weights

__all__ = ["OUTPUTS_FILE", "InferenceResult", "LoadedModel", "inference_weights", "load_model", "outputs_digest",
           "read_outputs", "run_inference", "run_shards", "shard_digest", "write_outputs"]
