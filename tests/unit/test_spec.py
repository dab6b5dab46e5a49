"""Task spec validation, canonical form, digest and compute units."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from nnc.errors import TaskSpecError
from nnc.task import canonical_json, compute_units, load_spec, model_macs, parse_spec, spec_digest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "digits-mlp.json"

BASE: dict[str, Any] = {
    "version": 1,
    "name": "unit",
    "framework": "torch",
    "model": {"kind": "mlp", "hidden": [100, 50]},
    "dataset": {"name": "sklearn-digits", "eval_fraction": 0.25},
    "training": {
        "seed": 7,
        "steps": 1000,
        "batch_size": 10,
        "learning_rate": 0.1,
        "optimizer": "sgd",
        "checkpoint_interval": 250,
    },
    "acceptance": {"metric": "accuracy", "threshold": 0.5},
    "determinism": {"threads": 1, "digest_decimals": 6},
}


def variant(path: str, value: Any) -> dict[str, Any]:
    """BASE with the dotted `path` set to `value` (or removed when value is `...`)."""
    data = copy.deepcopy(BASE)
    *parents, leaf = path.split(".")
    node = data
    for part in parents:
        node = node[part]
    if value is ...:
        del node[leaf]
    else:
        node[leaf] = value
    return data


def error_of(data: Any, source: str | None = "spec.json") -> str:
    with pytest.raises(TaskSpecError) as info:
        parse_spec(json.dumps(data) if not isinstance(data, str) else data, source=source)
    return str(info.value)


def test_example_spec_loads() -> None:
    spec = load_spec(EXAMPLE)
    assert spec.dataset.name == "sklearn-digits"
    assert spec.model.hidden == [64]
    assert spec.training.optimizer == "adam"
    assert spec.training.checkpoint_interval <= spec.training.steps
    assert spec.acceptance.threshold == 0.85


def test_load_spec_names_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    with pytest.raises(TaskSpecError, match="nope.json"):
        load_spec(missing)


def test_malformed_json_names_file_and_position(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"version": 1,\n  "name": }')
    with pytest.raises(TaskSpecError) as info:
        load_spec(path)
    message = str(info.value)
    assert str(path) in message
    assert "line 2" in message


@pytest.mark.parametrize("text", ['{"name": "a", "name": "b"}', '{"x": NaN}', '{"x": Infinity}'])
def test_non_strict_json_is_rejected(text: str) -> None:
    assert "invalid JSON" in error_of(text)


def test_non_utf8_bytes_are_rejected() -> None:
    with pytest.raises(TaskSpecError, match="UTF-8"):
        parse_spec(b"\xff\xfe{}")


def test_missing_field_is_named() -> None:
    message = error_of(variant("training.steps", ...))
    assert message == "spec.json: training.steps: Field required"


def test_unknown_field_is_named() -> None:
    message = error_of(variant("training.momentum", 0.9))
    assert "training.momentum: Extra inputs are not permitted" in message


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("training.batch_size", "32"),
        ("training.steps", 10.0),
        ("training.seed", True),
        ("dataset.eval_fraction", "0.2"),
        ("model.hidden", 64),
        ("framework", "caffe"),
        ("model.kind", "transformer"),
        ("training.optimizer", "rmsprop"),
        ("dataset.name", "mnist"),
        ("acceptance.metric", "f1"),
    ],
)
def test_wrong_type_is_named(path: str, value: Any) -> None:
    message = error_of(variant(path, value))
    assert message.startswith(f"spec.json: {path}: ")
    assert f"(got {json.dumps(value)})" in message


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("training.steps", 0, "greater than or equal to 1"),
        ("training.steps", 1_000_001, "less than or equal to 1000000"),
        ("training.batch_size", 0, "greater than or equal to 1"),
        ("training.batch_size", 4097, "less than or equal to 4096"),
        ("training.learning_rate", 0.0, "greater than 0"),
        ("training.seed", -1, "greater than or equal to 0"),
        ("training.checkpoint_interval", 0, "greater than or equal to 1"),
        ("training.checkpoint_interval", 1001, "at most training.steps (1000)"),
        ("dataset.eval_fraction", 0.0, "greater than 0"),
        ("dataset.eval_fraction", 0.51, "less than or equal to 0.5"),
        ("dataset.digest", "abc", "should match pattern"),
        ("acceptance.threshold", 1.01, "at most 1.0"),
        ("acceptance.threshold", -0.1, "greater than or equal to 0"),
        ("determinism.threads", 0, "greater than or equal to 1"),
        ("determinism.threads", 65, "less than or equal to 64"),
        ("determinism.digest_decimals", 13, "less than or equal to 12"),
        ("model.hidden", [64] * 9, "at most 8 items"),
        ("model.channels", [8], "must be empty for kind 'mlp'"),
        ("name", "", "at least 1 character"),
        ("version", 2, "unsupported spec version"),
    ],
)
def test_out_of_range_value_is_named(path: str, value: Any, expected: str) -> None:
    message = error_of(variant(path, value))
    assert message.startswith(f"spec.json: {path}: ")
    assert expected in message
    assert f"(got {json.dumps(value)})" in message


def test_list_items_are_located() -> None:
    message = error_of(variant("model.hidden", [64, 0, 5000]))
    assert "model.hidden[1]: Input should be greater than or equal to 1 (got 0)" in message
    assert "model.hidden[2]: Input should be less than or equal to 4096 (got 5000)" in message


def test_cnn_needs_channels_and_no_hidden() -> None:
    assert "model.channels: kind 'cnn' needs at least one conv layer" in error_of(variant("model", {"kind": "cnn"}))
    message = error_of(variant("model", {"kind": "cnn", "channels": [4], "hidden": [8]}))
    assert "model.hidden: must be empty for kind 'cnn'" in message


def test_every_bad_field_is_reported() -> None:
    data = variant("training.steps", 0)
    data["acceptance"]["threshold"] = 2
    data["determinism"]["threads"] = "one"
    lines = error_of(data).splitlines()
    assert [line.split(": ")[1] for line in lines] == [
        "training.steps",
        "acceptance.threshold",
        "determinism.threads",
    ]
    assert all(line.startswith("spec.json: ") for line in lines)


def test_error_without_file_still_names_field() -> None:
    assert error_of(variant("training.steps", 0), source=None).startswith("task spec: training.steps: ")


def test_non_object_document_is_rejected() -> None:
    assert "(root)" in error_of([1, 2])


def test_canonical_json_is_sorted_compact_and_complete() -> None:
    spec = parse_spec(BASE)
    text = canonical_json(spec).decode("utf-8")
    assert " " not in text and "\n" not in text
    assert text.startswith('{"acceptance":{"metric":"accuracy","threshold":0.5},"dataset":{"digest":null,')
    assert parse_spec(text) == spec


def test_digest_is_stable_across_formatting_and_key_order() -> None:
    pretty = json.dumps(BASE, indent=4)
    reordered = json.dumps(dict(reversed(list(BASE.items()))))
    digests = {spec_digest(parse_spec(text)) for text in (pretty, reordered, json.dumps(BASE))}
    assert len(digests) == 1
    # Defaults written out or left implicit are the same spec.
    assert spec_digest(parse_spec(variant("dataset.uri", None))) == spec_digest(parse_spec(BASE))


def test_canonical_form_and_digest_are_pinned() -> None:
    # Changing the canonical form changes every task's identity: this must fail loudly.
    expected = (
        b'{"acceptance":{"metric":"accuracy","threshold":0.5},'
        b'"dataset":{"digest":null,"eval_fraction":0.25,"name":"sklearn-digits","uri":null},'
        b'"determinism":{"digest_decimals":6,"threads":1},"framework":"torch",'
        b'"model":{"channels":[],"hidden":[100,50],"kind":"mlp"},"name":"unit",'
        b'"training":{"batch_size":10,"checkpoint_interval":250,"learning_rate":0.1,'
        b'"optimizer":"sgd","seed":7,"steps":1000},"version":1}'
    )
    spec = parse_spec(BASE)
    assert canonical_json(spec) == expected
    assert spec_digest(spec) == hashlib.sha256(expected).digest()
    assert spec_digest(spec).hex() == "dc449444960fd5afde4d9c6cf0d7e0b85eab15007f4686ce9f455da807b86ce6"


CHANGES: list[tuple[str, Any]] = [
    ("name", "unit-2"),
    ("model.hidden", [100, 51]),
    ("model", {"kind": "cnn", "channels": [4]}),
    ("dataset.eval_fraction", 0.2),
    ("dataset.uri", "ipfs://bafy"),
    ("dataset.digest", "0" * 64),
    ("training.seed", 8),
    ("training.steps", 1001),
    ("training.batch_size", 11),
    ("training.learning_rate", 0.10000000000000002),
    ("training.optimizer", "adam"),
    ("training.checkpoint_interval", 200),
    ("acceptance.threshold", 0.51),
    ("determinism.threads", 2),
    ("determinism.digest_decimals", 5),
]


def test_digest_changes_with_any_field() -> None:
    base = spec_digest(parse_spec(BASE))
    digests = [spec_digest(parse_spec(variant(path, value))) for path, value in CHANGES]
    assert all(len(d) == 32 for d in digests)
    assert base not in digests
    assert len(set(digests)) == len(CHANGES)


def test_compute_units_of_a_hand_computed_mlp() -> None:
    spec = parse_spec(BASE)
    # 64·100 + 100·50 + 50·10 multiply-accumulates per sample.
    assert model_macs(spec) == 11_900
    # 6 FLOPs per MAC (forward 2, backward 4) × 10 samples × 1000 steps = 714e6 FLOPs.
    assert compute_units(spec) == 714


def test_compute_units_round_up() -> None:
    tiny = variant("model.hidden", [])
    tiny["training"].update(steps=1, batch_size=1, checkpoint_interval=1)
    spec = parse_spec(tiny)
    assert model_macs(spec) == 640
    assert compute_units(spec) == 1  # 3840 FLOPs is a fraction of a unit, charged as one


def test_compute_units_of_a_cnn() -> None:
    spec = parse_spec(variant("model", {"kind": "cnn", "channels": [4, 8]}))
    # conv 1→4 and 4→8 (3×3 over 8×8), then a linear head 8·64 → 10.
    macs = 1 * 4 * 9 * 64 + 4 * 8 * 9 * 64 + 8 * 64 * 10
    assert model_macs(spec) == macs
    assert compute_units(spec) == -(-6 * macs * 10 * 1000 // 1_000_000)


def test_example_compute_units() -> None:
    assert compute_units(load_spec(EXAMPLE)) == 273  # ceil(6 · 4736 · 32 · 300 / 1e6)


def test_spec_is_immutable() -> None:
    spec = parse_spec(BASE)
    with pytest.raises(ValueError):
        spec.training.steps = 5


def test_privacy_section_is_part_of_the_digest_only_when_present() -> None:
    data = json.loads(EXAMPLE.read_text())
    public = parse_spec(data)
    assert b"privacy" not in canonical_json(public)
    private = parse_spec({**data, "privacy": {"requester_key": "ab" * 32}})
    assert private.privacy is not None and private.privacy.requester_key == "ab" * 32
    assert b'"privacy":{"requester_key":"' in canonical_json(private)
    assert spec_digest(private) != spec_digest(public)


@pytest.mark.parametrize("key", ["ab" * 31, "AB" * 32, "zz" * 32, 7])
def test_bad_requester_key_is_named(key: Any) -> None:
    data = json.loads(EXAMPLE.read_text())
    assert "privacy.requester_key" in error_of({**data, "privacy": {"requester_key": key}})
