"""One tiny spec per runtime (a framework, or a model kind of one): what the conformance suite
(`tests/runtimes/test_conformance.py`) and the end-to-end settlement test
(`tests/e2e/test_runtimes.py`) run every runtime through.

A new runtime adds one `Case` here. Each trains in a second or two; two checkpoints at least, so
that resumption and replay cross a checkpoint boundary.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nnc.task import TaskSpec, parse_spec


@dataclass(frozen=True)
class Case:
    """A runtime's tiny spec. `thread_invariant`: the digest is the same whatever
    `determinism.threads` is (else the spec's thread count is part of what replicas agree on, and
    the suite checks only that the machine's own thread settings do not leak in).
    `sandbox_memory_mb`: the memory limit its sandboxed child needs (JAX's CPU client reserves
    more than 2 GiB of address space)."""

    spec: dict[str, Any]
    thread_invariant: bool
    sandbox_memory_mb: int = 2048


_BASE: dict[str, Any] = {"version": 1, "determinism": {"threads": 1, "digest_decimals": 6}}

CASES: dict[str, Case] = {
    "torch": Case({
        "name": "tiny digits MLP (tests)", "framework": "torch",
        "model": {"kind": "mlp", "hidden": [16]},
        "dataset": {"name": "sklearn-digits", "eval_fraction": 0.2},
        "training": {"seed": 7, "steps": 40, "batch_size": 32, "learning_rate": 0.01, "optimizer": "adam",
                     "checkpoint_interval": 20},
        "acceptance": {"metric": "accuracy", "threshold": 0.3}}, thread_invariant=False),
    "transformers": Case({
        "name": "tiny byte LM (tests)", "framework": "transformers",
        "model": {"kind": "causal-lm", "layers": 1, "width": 16, "heads": 2, "context": 16},
        "dataset": {"name": "tiny-text", "eval_fraction": 0.1},
        "training": {"seed": 3, "steps": 20, "batch_size": 8, "learning_rate": 0.005, "optimizer": "adam",
                     "checkpoint_interval": 10},
        "acceptance": {"metric": "eval_loss", "threshold": 5.0}}, thread_invariant=False),
    "rwkv": Case({
        "name": "tiny byte RWKV (tests)", "framework": "transformers",
        "model": {"kind": "rwkv", "layers": 2, "width": 16, "context": 16},
        "dataset": {"name": "tiny-text", "eval_fraction": 0.1},
        "training": {"seed": 3, "steps": 20, "batch_size": 8, "learning_rate": 0.01, "optimizer": "adam",
                     "checkpoint_interval": 10},
        "acceptance": {"metric": "eval_loss", "threshold": 5.0}}, thread_invariant=False),
    "peft": Case({
        "name": "tiny byte LM LoRA (tests)", "framework": "peft",
        "model": {"kind": "causal-lm", "layers": 1, "width": 16, "heads": 2, "context": 16,
                  "lora": {"rank": 4, "alpha": 8.0, "targets": ["c_attn"]}},
        "dataset": {"name": "tiny-text", "eval_fraction": 0.1},
        "training": {"seed": 3, "steps": 20, "batch_size": 8, "learning_rate": 0.01, "optimizer": "adam",
                     "checkpoint_interval": 10},
        "acceptance": {"metric": "eval_loss", "threshold": 6.0}}, thread_invariant=True),
    "jax": Case({
        "name": "tiny digits MLP in JAX (tests)", "framework": "jax",
        "model": {"kind": "mlp", "hidden": [16]},
        "dataset": {"name": "sklearn-digits", "eval_fraction": 0.2},
        "training": {"seed": 7, "steps": 40, "batch_size": 32, "learning_rate": 0.01, "optimizer": "adam",
                     "checkpoint_interval": 20},
        "acceptance": {"metric": "accuracy", "threshold": 0.3}}, thread_invariant=True, sandbox_memory_mb=4096),
    "jax-cnn": Case({
        "name": "tiny digits CNN in JAX (tests)", "framework": "jax",
        "model": {"kind": "cnn", "channels": [4]},
        "dataset": {"name": "sklearn-digits", "eval_fraction": 0.2},
        "training": {"seed": 7, "steps": 20, "batch_size": 32, "learning_rate": 0.01, "optimizer": "adam",
                     "checkpoint_interval": 10},
        "acceptance": {"metric": "accuracy", "threshold": 0.3}}, thread_invariant=True, sandbox_memory_mb=4096),
    "tensorflow": Case({
        "name": "tiny digits CNN in Keras (tests)", "framework": "tensorflow",
        "model": {"kind": "cnn", "channels": [4]},
        "dataset": {"name": "sklearn-digits", "eval_fraction": 0.2},
        "training": {"seed": 7, "steps": 20, "batch_size": 32, "learning_rate": 0.01, "optimizer": "adam",
                     "checkpoint_interval": 10},
        "acceptance": {"metric": "accuracy", "threshold": 0.3}}, thread_invariant=False, sandbox_memory_mb=4096),
    "diffusers": Case({
        "name": "tiny digit UNet LoRA (tests)", "framework": "diffusers",
        "model": {"kind": "unet", "channels": [8, 16], "timesteps": 50,
                  "lora": {"rank": 4, "alpha": 4.0, "targets": ["to_q", "to_k", "to_v"]}},
        "dataset": {"name": "sklearn-digits", "eval_fraction": 0.1},
        "training": {"seed": 5, "steps": 10, "batch_size": 16, "learning_rate": 0.01, "optimizer": "adam",
                     "checkpoint_interval": 5},
        "acceptance": {"metric": "eval_loss", "threshold": 5.0}}, thread_invariant=True),
    "whisper": Case({
        "name": "tiny spoken-digit Whisper (tests)", "framework": "transformers",
        "model": {"kind": "whisper", "layers": 1, "width": 16, "heads": 2},
        "dataset": {"name": "spoken-digits", "eval_fraction": 0.2},
        "training": {"seed": 3, "steps": 10, "batch_size": 8, "learning_rate": 0.01, "optimizer": "adam",
                     "checkpoint_interval": 5},
        "acceptance": {"metric": "eval_wer", "threshold": 1.0}}, thread_invariant=False),
    "face-embedding": Case({
        "name": "tiny face embedding (tests)", "framework": "torch",
        "model": {"kind": "face-embedding", "channels": [4], "embedding": 8, "identities": 128},
        "dataset": {"name": "synthetic-faces", "eval_fraction": 0.25},
        "training": {"seed": 7, "steps": 20, "batch_size": 32, "learning_rate": 0.01, "optimizer": "adam",
                     "checkpoint_interval": 10},
        "acceptance": {"metric": "tar_at_far", "threshold": 0.02}}, thread_invariant=False),
    "conv3d": Case({
        "name": "tiny video conv3d (tests)", "framework": "torch",
        "model": {"kind": "conv3d", "channels": [2], "pool": 4},
        "dataset": {"name": "synthetic-video", "eval_fraction": 0.05},
        "training": {"seed": 7, "steps": 6, "batch_size": 4, "learning_rate": 0.01, "optimizer": "adam",
                     "checkpoint_interval": 3},
        "acceptance": {"metric": "accuracy", "threshold": 0.1}}, thread_invariant=False),
}
"""Every runtime's tiny spec, by case name (a framework, or `framework-kind`/a kind's name where a
framework has several model kinds)."""


def case_spec(name: str, threads: int = 1, **training: Any) -> TaskSpec:
    """Case `name`'s spec, with `determinism.threads` and any `training` fields replaced."""
    data = {**_BASE, **CASES[name].spec}
    data["determinism"] = {**data["determinism"], "threads": threads}
    data["training"] = {**data["training"], **training}
    return parse_spec(data)
