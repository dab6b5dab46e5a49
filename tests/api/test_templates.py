"""The templates service on its own (no chain): what it lists, and what it skips."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from nnc.api.templates import EXAMPLES_DIR, list_templates
from nnc.task import compute_units, load_spec


def test_invalid_and_unreadable_specs_are_skipped_and_logged(tmp_path: Path,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    good = json.loads((EXAMPLES_DIR / "text-lora-peft.json").read_text())
    (tmp_path / "good.json").write_text(json.dumps(good))
    bad = {**good, "model": {**good["model"], "lora": {**good["model"]["lora"], "rank": 0}}}
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "notes.txt").write_text("not a spec")
    (tmp_path / "folder.json").mkdir()  # unreadable as a file
    with caplog.at_level(logging.WARNING, logger="nnc.api.templates"):
        items = list_templates(tmp_path)["items"]
    assert [t["id"] for t in items] == ["good.json"]
    assert items[0]["compute_units"] == compute_units(load_spec(EXAMPLES_DIR / "text-lora-peft.json"))
    logged = caplog.text
    assert "bad.json" in logged and "model.lora.rank" in logged
    assert "broken.json" in logged and "invalid JSON" in logged
    assert "folder.json" in logged and "notes.txt" not in logged


def test_an_empty_or_missing_folder_lists_nothing(tmp_path: Path) -> None:
    assert list_templates(tmp_path) == {"items": []}
    assert list_templates(tmp_path / "absent") == {"items": []}
