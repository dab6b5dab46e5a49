"""The deploy profiles: the Python parameters equal the ones the forge capture tests run with."""

from __future__ import annotations

import re

import pytest

from nnc.chain.deploy import BLOCKS_PER_DAY, DEVNET, NNT, PRODUCTION, PROFILES, ProtocolParams, profile_params
from nnc.devnet import DEVNET_PARAMS
from nnc.errors import ConfigError
from nnc.paths import REPO_ROOT

MIRROR = REPO_ROOT / "contracts" / "test" / "DeployProfiles.sol"
# DeployProfiles.sol constant suffix -> ProtocolParams field
FIELDS = {
    "GOVERNOR_VOTING_DELAY": "governor_voting_delay",
    "GOVERNOR_VOTING_PERIOD": "governor_voting_period",
    "PROPOSAL_THRESHOLD": "governor_proposal_threshold",
    "QUORUM_PERCENT": "governor_quorum_percent",
    "TIMELOCK_DELAY": "timelock_delay",
    "DISPUTE_VOTING_DELAY": "dispute_voting_delay",
    "DISPUTE_VOTING_PERIOD": "dispute_voting_period",
    "DISPUTE_QUORUM_BPS": "dispute_quorum_bps",
}
CONSTANT = re.compile(r"constant (DEVNET|PRODUCTION)_(\w+) = ([0-9_]+)(?:e([0-9]+))?;")


def _mirrored() -> dict[str, dict[str, int]]:
    values: dict[str, dict[str, int]] = {"DEVNET": {}, "PRODUCTION": {}}
    for profile, name, digits, exponent in CONSTANT.findall(MIRROR.read_text()):
        values[profile][name] = int(digits.replace("_", "")) * 10 ** int(exponent or 0)
    return values


@pytest.mark.parametrize(("name", "params"), [("DEVNET", DEVNET), ("PRODUCTION", PRODUCTION)])
def test_profile_equals_the_forge_mirror(name: str, params: ProtocolParams) -> None:
    mirrored = _mirrored()[name]
    assert set(mirrored) == set(FIELDS), f"{MIRROR.name} and FIELDS disagree on the {name} constants"
    for constant, field in FIELDS.items():
        assert getattr(params, field) == mirrored[constant], f"{name}_{constant} != ProtocolParams.{field}"


def test_production_profile_has_days_of_delay_and_a_threshold() -> None:
    p = PRODUCTION
    assert p.profile == "production"
    assert p.governor_voting_delay >= BLOCKS_PER_DAY and p.governor_voting_period >= 7 * BLOCKS_PER_DAY
    assert p.dispute_voting_delay >= BLOCKS_PER_DAY and p.dispute_voting_period >= BLOCKS_PER_DAY
    assert p.timelock_delay >= 2 * 24 * 3600
    assert p.governor_proposal_threshold == p.initial_supply // 100 == 10_000_000 * NNT
    assert p.treasury is None  # fees go to the timelock


def test_profiles_by_name() -> None:
    assert profile_params("devnet") is DEVNET and profile_params("production") is PRODUCTION
    assert set(PROFILES) == {"devnet", "production"}
    assert DEVNET.profile == DEVNET_PARAMS.profile == "devnet"
    with pytest.raises(ConfigError, match="unknown deploy profile 'mainnet'"):
        profile_params("mainnet")
