"""Fixtures the distributed tests share: each module's `spec` (its own fixture) gives the built-in
program, its data and, for the default world size, the single-process reference run."""

from __future__ import annotations

import pytest

from nnc.distributed import DilocoResult, reference_run
from nnc.runtimes import builtin_program
from nnc.task import TaskSpec
from nnc.training.data import SplitData
from nnc.training.program import Program


@pytest.fixture(scope="module")
def program(spec: TaskSpec) -> Program:
    return builtin_program(spec)


@pytest.fixture(scope="module")
def data(program: Program) -> SplitData:
    loaded = program.load_data(None)
    assert isinstance(loaded, SplitData)
    return loaded


@pytest.fixture(scope="module")
def reference(spec: TaskSpec, program: Program, data: SplitData) -> DilocoResult:
    return reference_run(spec, program, data=data)
