"""`nnc deploy --profile ...` on a real chain: the production profile's parameters and roles, the devnet warning."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from nnc.chain.artifacts import Artifacts
from nnc.chain.client import ChainClient, connect_web3
from nnc.chain.deploy import DEVNET_WARNING, PRODUCTION
from nnc.chain.deployment import Deployment
from nnc.chain.governance import roles_held
from nnc.chain.market import Market
from nnc.cli import cli
from nnc.devnet import DEPLOYER, Devnet


def _deploy(chain: Devnet, tmp_path: Path, *args: str) -> tuple[str, Deployment]:
    deployment_file = tmp_path / "deployment.json"
    env = {"NNC_RPC_URL": chain.rpc_url, "NNC_KEY_FILE": str(chain.key_file(DEPLOYER)),
           "NNC_DEPLOYMENT_FILE": str(deployment_file), "NNC_DATA_DIR": str(tmp_path / "data")}
    result = CliRunner().invoke(cli, ["deploy", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.output, Deployment.load(deployment_file)


def test_production_profile_deploys_days_of_delay_and_leaves_the_deployer_no_role(chain: Devnet,
                                                                                   tmp_path: Path) -> None:
    # the devnet zk keys, refused by the production profile unless overridden (tests/unit/test_zk_trust.py)
    output, deployment = _deploy(chain, tmp_path, "--profile", "production", "--allow-single-party-zk-keys")
    assert DEVNET_WARNING not in output and "profile production" in output
    assert "1 contributor(s) (nnc devnet)" in output  # the override's warning names the single party
    assert deployment.profile == "production"
    client = ChainClient(connect_web3(chain.rpc_url), Artifacts(), deployment, None)
    names = ("NodeRegistry", "Reputation", "RewardsPool", "TaskMarket", "ModelRegistry", "ModelRatings",
             "RoundBook", "Arbitration", "SpotCheck", "NNCTimelock")
    contracts = {name: client.contract(name) for name in names}
    assert roles_held(deployment.deployer, contracts) == []
    market, timelock = deployment.address_of("TaskMarket"), deployment.address_of("NNCTimelock")
    assert contracts["NodeRegistry"].functions.market().call() == market
    assert contracts["RewardsPool"].functions.rewarder().call() == market
    admin = b"\x00" * 32
    assert all(c.functions.hasRole(admin, timelock).call() for name, c in contracts.items() if name != "NNCTimelock")
    governor = client.contract("NNCGovernor").functions
    p = PRODUCTION
    assert (governor.votingDelay().call(), governor.votingPeriod().call(), governor.proposalThreshold().call(),
            governor.quorumNumerator().call()) == (p.governor_voting_delay, p.governor_voting_period,
                                                   p.governor_proposal_threshold, p.governor_quorum_percent)
    assert contracts["NNCTimelock"].functions.getMinDelay().call() == p.timelock_delay
    arbitration = contracts["Arbitration"].functions
    assert tuple(arbitration.params().call()) == (p.min_bond, p.dispute_voting_delay, p.dispute_voting_period,
                                                  p.dispute_quorum_bps, p.challenger_share_bps,
                                                  p.requester_share_bps, p.node_bond_share_bps)
    assert Market(client).params().treasury == timelock  # fees to the DAO (set in the MarketConfig)
    assert arbitration.treasury().call() == timelock
    models = contracts["ModelRegistry"].functions
    assert (models.market().call(), models.maxFieldLength().call()) == (market, p.model_max_field_length)
    assert models.coFundingFactory().call() == deployment.address_of("CoFundingFactory")
    ratings = contracts["ModelRatings"].functions
    assert (ratings.registry().call(), ratings.minRatingStake().call(), ratings.ratingLockPeriod().call()) == (
        deployment.address_of("ModelRegistry"), p.min_rating_stake, p.rating_lock_period)
    rounds = contracts["RoundBook"].functions
    assert (rounds.market().call(), rounds.maxMissedRounds().call(), rounds.minRoundDuration().call()) == (
        market, p.round_max_missed, p.round_min_duration)


def test_default_devnet_profile_warns(chain: Devnet, tmp_path: Path) -> None:
    output, deployment = _deploy(chain, tmp_path)
    assert DEVNET_WARNING in output
    assert deployment.profile == "devnet"
    assert chain.deployment is not None and chain.deployment.profile == "devnet"
    # the market's external libraries are deployed once, linked in, and recorded in the file
    assert set(deployment.libraries) >= {"TaskSettlement"}
    assert all(f"{name:18} {address} (library" in output for name, address in deployment.libraries.items())
    w3 = connect_web3(chain.rpc_url)
    for address in deployment.libraries.values():
        assert len(w3.eth.get_code(address)) > 0
    codes = [w3.eth.get_code(a).hex().lower() for a in [*deployment.addresses.values(), *deployment.libraries.values()]]
    for name, address in deployment.libraries.items():
        # linked: each library's address is in the code of a contract (or library) that calls it
        assert any(address[2:].lower() in code for code in codes), name
    market_code = w3.eth.get_code(deployment.address_of("TaskMarket")).hex().lower()
    assert deployment.libraries["TaskSettlement"][2:].lower() in market_code
