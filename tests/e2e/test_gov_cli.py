"""The DAO's whole cycle from the command line on the devnet profile: list the governed parameters
with their values, propose a change (a value the contract would refuse is named before anything is
sent), vote, queue, execute after the timelock's delay; the parameter then has its new value."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from web3.types import RPCEndpoint

from nnc.chain.market import Market
from nnc.cli import cli
from nnc.devnet import Devnet
from tests.e2e.harness import advance_time

pytestmark = pytest.mark.e2e


def nnc(chain: Devnet, tmp_path: Path, account: int, *args: str) -> Result:
    env = {"NNC_CONFIG": str(tmp_path / "absent.toml"), "NNC_RPC_URL": chain.rpc_url,
           "NNC_DEPLOYMENT_FILE": str(chain.deployment_file), "NNC_KEY_FILE": str(chain.key_file(account)),
           "NNC_DATA_DIR": str(tmp_path / "cli"), "NNC_PRIVATE_KEY": None}
    return CliRunner().invoke(cli, list(args), env=env)


def mine(chain: Devnet, blocks: int) -> None:
    chain.client(0).w3.provider.make_request(RPCEndpoint("anvil_mine"), [hex(blocks)])


def test_propose_vote_queue_execute_a_parameter_change(chain: Devnet, tmp_path: Path) -> None:
    voter = chain.voter
    listed = nnc(chain, tmp_path, voter, "gov", "params")
    assert listed.exit_code == 0, listed.output
    window = Market(chain.client(0)).settlement_params().challenge_window
    assert f"MarketConfig.setChallengeWindow(uint64 challengeWindow)  now: {window}" in listed.output
    assert "Arbitration.setParams((uint96 minBond" in listed.output

    refused = nnc(chain, tmp_path, voter, "gov", "propose", "MarketConfig.setProtocolFee", "20000",
                  "--description", "a fee above 100%")
    assert refused.exit_code != 0 and "setProtocolFee as the timelock" in str(refused.exception)
    bad = nnc(chain, tmp_path, voter, "gov", "propose", "MarketConfig.setChallengeWindow", "soon",
              "--description", "x")
    assert "challengeWindow (uint64) cannot be 'soon'" in str(bad.exception)

    new = window + 77
    proposed = nnc(chain, tmp_path, voter, "gov", "propose", "MarketConfig.setChallengeWindow", str(new),
                   "--description", f"challenge window {new} s")
    assert proposed.exit_code == 0, proposed.output
    proposal = proposed.output.strip().rsplit(" ", 1)[-1]
    mine(chain, 2)
    voted = nnc(chain, tmp_path, voter, "gov", "vote", proposal, "for")
    assert voted.exit_code == 0, voted.output
    mine(chain, 25)
    shown = nnc(chain, tmp_path, voter, "gov", "show", proposal)
    assert shown.exit_code == 0, shown.output
    assert f"proposal {proposal}: succeeded" in shown.output
    assert f"call         MarketConfig.setChallengeWindow(challengeWindow={new})" in shown.output
    queued = nnc(chain, tmp_path, 0, "gov", "queue", proposal)  # anyone queues and executes
    assert queued.exit_code == 0 and "executable in 1 min" in queued.output, queued.output
    early = nnc(chain, tmp_path, 0, "gov", "execute", proposal)
    assert early.exit_code != 0  # the timelock's delay has not passed
    advance_time(chain, 61)
    executed = nnc(chain, tmp_path, 0, "gov", "execute", proposal)
    assert executed.exit_code == 0, executed.output
    assert Market(chain.client(0)).settlement_params().challenge_window == new
    assert f"proposal {proposal}: executed" in nnc(chain, tmp_path, 0, "gov", "show", proposal).output
