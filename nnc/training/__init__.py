"""Deterministic training of task specs: data, models, checkpoints, digests and the trainer."""

from nnc.training.checkpoints import Checkpoint, CheckpointState, list_checkpoints, load_checkpoint
from nnc.training.data import load_data, load_dataset_digest
from nnc.training.digest import chain_genesis, chain_step, model_digest, round_loss
from nnc.training.models import build_model
from nnc.training.trainer import TrainingResult, deterministic_torch

__all__ = [
    "Checkpoint",
    "CheckpointState",
    "TrainingResult",
    "build_model",
    "chain_genesis",
    "chain_step",
    "deterministic_torch",
    "list_checkpoints",
    "load_checkpoint",
    "load_data",
    "load_dataset_digest",
    "model_digest",
    "round_loss",
]
