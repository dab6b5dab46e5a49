"""Program packages for the tests: the example ResNet program, its toy image folder, and broken
programs written on the fly, each staged with its digest."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nnc.task import TaskSpec, parse_spec
from nnc.training.program_package import ProgramFiles, package_digest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RESNET = EXAMPLES / "programs" / "resnet_cnn"


def example_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EXAMPLES / "program-resnet-cnn.json").read_text())
    document["training"].update(steps=12, checkpoint_interval=4)
    document["acceptance"]["threshold"] = 0.0
    return document


def program_spec(package: Path, entry: str = "resnet_cnn:make_program", **changes: Any) -> TaskSpec:
    """The example spec (12 steps) running the package at `package` (its digest pinned)."""
    document = example_document()
    document["program"].update(entry=entry, digest=package_digest(package))
    for section, values in changes.items():
        document[section].update(values) if isinstance(values, dict) else document.__setitem__(section, values)
    return parse_spec(document)


def write_images(dest: Path, per_class: int = 12) -> Path:
    """The example's toy image folder (`make_dataset.py`) at `dest`."""
    sys.path.insert(0, str(RESNET))
    try:
        from make_dataset import write_image_folder
    finally:
        sys.path.remove(str(RESNET))
    return write_image_folder(dest, per_class=per_class)  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def image_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_images(tmp_path_factory.mktemp("images") / "shapes")


@pytest.fixture
def resnet_package(tmp_path: Path) -> Path:
    import shutil

    dest = tmp_path / "package"
    shutil.copytree(RESNET, dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


@pytest.fixture
def broken_program(resnet_package: Path) -> Callable[[str], tuple[TaskSpec, ProgramFiles]]:
    """A package whose `broken:make_program` is the ResNet program with `patch` (Python source
    defining methods of a subclass, or module-level code) applied."""

    def make(patch: str) -> tuple[TaskSpec, ProgramFiles]:
        (resnet_package / "broken.py").write_text(patch)
        return program_spec(resnet_package, "broken:make_program"), ProgramFiles(resnet_package)

    return make
