"""`nnc route deploy` on the shared two-chain devnet (Hyperlane core already on both chains): a
second route deployed with the CLI into a data directory of its own, its gateways enrolled with
each other and its records found by `--chain`; a production profile without ISMs is refused before
anything is sent."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from web3 import Web3

from nnc.cli import cli
from nnc.crosschain.devnet import HOME, SPOKE
from nnc.crosschain.gateways import HomeGateway, SpokeGateway
from nnc.crosschain.records import find_record
from nnc.devnet import DEPLOYER
from nnc.errors import ConfigError
from tests.crosschain.conftest import CrossChain, cli_env

pytestmark = pytest.mark.e2e


def _deploy(x: CrossChain, data_dir: Path, *extra: str) -> tuple[int, str, BaseException | None]:
    chains = x.chains
    env = {**cli_env(x, DEPLOYER), "NNC_DATA_DIR": str(data_dir)}
    result = CliRunner().invoke(cli, ["route", "deploy", "--spoke-rpc-url", chains.spoke.rpc_url, "--spoke-name",
                                      "second", "--home-mailbox", chains.cores[HOME].mailbox, "--spoke-mailbox",
                                      chains.cores[SPOKE].mailbox, *extra], env=env)
    return result.exit_code, result.output, result.exception


def test_route_deploy_enrols_two_gateways_and_records_the_route(crosschain: CrossChain, tmp_path: Path) -> None:
    x, chains = crosschain, crosschain.chains
    deployer = Web3.to_checksum_address(chains.address(DEPLOYER))
    nonce = chains.spoke_client(DEPLOYER).w3.eth.get_transaction_count(deployer)
    code, output, error = _deploy(x, tmp_path, "--profile", "production")
    assert code != 0 and isinstance(error, ConfigError) and "needs an interchain security module" in str(error)
    assert chains.spoke_client(DEPLOYER).w3.eth.get_transaction_count(deployer) == nonce  # nothing sent

    code, output, error = _deploy(x, tmp_path, "--ack-window", "1800", "--ack-margin", "120")
    assert code == 0, (output, error)
    record = find_record(tmp_path, "second")  # what `--chain second` reads
    assert record.gateway.contract == "SpokeGateway" and record.chain_id == chains.spoke_chain.chain_id
    home_record = find_record(tmp_path, "home")
    assert home_record.gateway.contract == "HomeGateway" and home_record.remote.gateway == record.gateway.address
    assert record.remote.gateway == home_record.gateway.address and "test ISM" in record.ism
    assert f"MarketConfig.setPayoutRouter {home_record.gateway.address}" in output
    home_gw = HomeGateway(chains.home_client(DEPLOYER), home_record.gateway.address)
    spoke_gw = SpokeGateway(chains.spoke_client(DEPLOYER), record.gateway.address)
    assert home_gw.address != chains.home_gateway_address  # a route of its own, next to the devnet's
    gateway, backer = home_gw.contract.functions.routes(chains.spoke_chain.domain).call()
    assert bytes(gateway)[-20:] == bytes.fromhex(spoke_gw.address[2:]) and backer == chains.address(DEPLOYER)
    assert Web3.to_checksum_address(bytes(spoke_gw.contract.functions.homeGateway().call())[-20:]) == home_gw.address
    assert spoke_gw.contract.functions.ackWindow().call() == 1800
    assert home_gw.contract.functions.ackMargin().call() == 120
    assert (tmp_path / "deployments" / str(record.chain_id) / "SpokeGateway.json").exists()  # the spoke's folder


def test_governance_sets_and_removes_a_spokes_warp_router_and_a_mismatched_one_is_refused(
        crosschain: CrossChain, tmp_path: Path) -> None:
    x, chains = crosschain, crosschain.chains
    assert chains.token_route is not None
    route = chains.token_route.route
    code, output, error = _deploy(x, tmp_path)  # a route of its own: the deployer owns its spoke gateway
    assert code == 0, (output, error)
    spoke_gw = SpokeGateway(chains.spoke_client(DEPLOYER), find_record(tmp_path, "second").gateway.address)
    env = {**cli_env(x, DEPLOYER), "NNC_DATA_DIR": str(tmp_path)}

    def router_cmd(token: str, router: str) -> tuple[int, str]:
        result = CliRunner().invoke(cli, ["route", "warp-router", "--chain", "second", "--token", token,
                                          "--router", router], env=env)
        return result.exit_code, result.output

    def router_of(token: str) -> str:
        return str(spoke_gw.contract.functions.warpRouters(Web3.to_checksum_address(token)).call())

    code, output = router_cmd("ETH", route.collateral_router)  # it moves SUSD, not the native coin
    assert code != 0 and "not the native coin" in output, output
    code, output = router_cmd(route.token, route.collateral_router)
    assert code == 0 and f"go to other chains over {route.collateral_router}" in output, output
    assert router_of(route.token) == route.collateral_router
    code, output = router_cmd(route.token, "none")
    assert code == 0 and "stay on this chain" in output, output
    assert int(router_of(route.token), 16) == 0
