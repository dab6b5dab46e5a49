"""The runtime registry: which frameworks are installed, what a node offers, what a missing one says."""

from __future__ import annotations

import json
import typing
from pathlib import Path

import pytest

import nnc.runtimes as runtimes
from nnc.errors import ConfigError
from nnc.node.profile import collect_profile, profile_from_json, profile_json
from nnc.runtimes import RUNTIMES, RuntimeInfo, RuntimeMissingError, installed_runtimes, offered_runtimes
from nnc.runtimes.dispatch import train
from nnc.task import FRAMEWORK_RULES, parse_spec
from nnc.task.spec import Framework
from tests.nodes import NODE

SPEC = json.loads((Path(__file__).parents[2] / "examples" / "digits-mlp.json").read_text())


def test_every_spec_framework_has_a_runtime_and_a_rule() -> None:
    assert set(typing.get_args(Framework)) == set(RUNTIMES) == set(FRAMEWORK_RULES)


def test_torch_is_always_installed() -> None:
    assert installed_runtimes()[0] == "torch"
    assert RUNTIMES["torch"].versions()["torch"].startswith("2.")


@pytest.fixture
def absent_jax(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = RuntimeInfo("jax", (("nnc_no_such_module", "nnc-no-such-dist"),), "jax",
                       "nnc.runtimes.jax_classifier:RUNTIME")
    monkeypatch.setattr(runtimes, "RUNTIMES", {**RUNTIMES, "jax": fake})


@pytest.mark.usefixtures("absent_jax")
def test_a_missing_runtime_names_its_extra(tmp_path: Path) -> None:
    assert "jax" not in installed_runtimes()
    spec = parse_spec({**SPEC, "framework": "jax"})
    with pytest.raises(RuntimeMissingError, match=r"framework 'jax' needs nnc-no-such-dist.*pip install 'nnc\[jax\]'"):
        train(spec, tmp_path, node=NODE)
    assert not any(tmp_path.iterdir())  # nothing was started


@pytest.mark.usefixtures("absent_jax")
def test_offered_runtimes_checks_the_operators_choice() -> None:
    assert offered_runtimes(None) == installed_runtimes()
    assert offered_runtimes(["torch", "torch"]) == ["torch"]
    with pytest.raises(ConfigError, match=r"jax is not installed \(pip install 'nnc\[jax\]'\)"):
        offered_runtimes(["torch", "jax"])
    with pytest.raises(ConfigError, match="unknown framework.*mxnet"):
        offered_runtimes(["mxnet"])


def test_profile_lists_the_offered_runtimes_with_versions() -> None:
    profile = collect_profile(0.02, ["torch"])
    assert list(profile.runtimes) == ["torch"]
    assert profile.runtimes["torch"]["torch"] == RUNTIMES["torch"].versions()["torch"]
    assert profile_from_json(profile_json(profile)) == profile
    everything = collect_profile(0.02)
    assert list(everything.runtimes) == installed_runtimes()


def test_a_profile_without_runtimes_still_parses() -> None:
    document = json.loads(profile_json(collect_profile(0.02, ["torch"])))
    del document["runtimes"]
    assert profile_from_json(json.dumps(document)).runtimes == {}
