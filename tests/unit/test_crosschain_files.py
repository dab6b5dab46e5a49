"""The files the cross-chain tools write and read without a chain: Hyperlane's core config and
registry addresses, and each chain's `crosschain.json` record."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from nnc.crosschain.deploy import RouteParams
from nnc.crosschain.hyperlane import HyperlaneChain, core_config, read_addresses
from nnc.crosschain.records import ChainRecord, Gateway, Remote, find_record
from nnc.errors import ConfigError

DEPLOYER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


def test_core_config_is_the_test_ism_owned_by_the_deployer_with_a_gas_oracle_per_chain() -> None:
    config = core_config(DEPLOYER, ["home", "spoke"])
    assert config["owner"] == DEPLOYER
    assert config["defaultIsm"] == {"type": "testIsm", "threshold": 1, "validators": [DEPLOYER]}
    hook = config["defaultHook"]
    assert isinstance(hook, dict)
    assert hook["type"] == "interchainGasPaymaster" and hook["beneficiary"] == hook["oracleKey"] == DEPLOYER
    assert set(hook["oracleConfig"]) == set(hook["overhead"]) == {"home", "spoke"}
    assert config["requiredHook"] == {"type": "merkleTreeHook"}
    assert "$" not in repr(config)


def test_registry_metadata_and_addresses(tmp_path: Path) -> None:
    chain = HyperlaneChain("spoke", 31338, "http://127.0.0.1:8546")
    assert chain.metadata()["domainId"] == 31338 and chain.metadata()["rpcUrls"] == [{"http": chain.rpc_url}]
    addresses = tmp_path / "addresses.yaml"
    addresses.write_text('mailbox: "0xB7f8BC63BbcaD18155201308C8f3540b07f84F5e"\n'
                         "interchainGasPaymaster: 0x9A9f2CCfdE556A7E9Ff0848998Aa4a0CFD8863AE\n"
                         "# a comment\nnotAnAddress: 12\n")
    assert read_addresses(addresses) == {"mailbox": "0xB7f8BC63BbcaD18155201308C8f3540b07f84F5e",
                                         "interchainGasPaymaster": "0x9A9f2CCfdE556A7E9Ff0848998Aa4a0CFD8863AE"}


def test_a_chain_record_is_found_by_name_or_id_and_a_missing_one_named(tmp_path: Path) -> None:
    record = ChainRecord("spoke", 31338, 31338, "http://127.0.0.1:8546", Gateway("SpokeGateway", "0x" + "11" * 20, 7),
                         Remote("home", 31337, "0x" + "22" * 20), {"mailbox": "0x" + "33" * 20}, "test ISM")
    record.save(tmp_path / "deployments")
    assert find_record(tmp_path, "spoke") == record == find_record(tmp_path, "31338")
    with pytest.raises(ConfigError, match=r"no cross-chain route to chain 'moon'.*known: spoke \(31338\)"):
        find_record(tmp_path, "moon")
    (tmp_path / "deployments" / "31338" / "crosschain.json").write_text('{"chain": "spoke"}')
    with pytest.raises(ConfigError, match="malformed"):
        find_record(tmp_path, "spoke")


def test_a_route_outside_the_devnet_needs_an_ism_on_both_chains_and_a_margin_inside_its_window() -> None:
    route = RouteParams(home_mailbox="0x" + "11" * 20, spoke_mailbox="0x" + "22" * 20, home_domain=1, spoke_domain=10,
                        backer=DEPLOYER, ack_window=3600, ack_margin=300)
    route.check()  # the devnet may use the Mailbox's default (test) ISM
    with pytest.raises(ConfigError, match="production profile needs an interchain security module"):
        replace(route, profile="production", home_ism="0x" + "33" * 20).check()
    replace(route, profile="production", home_ism="0x" + "33" * 20, spoke_ism="0x" + "44" * 20).check()
    with pytest.raises(ConfigError, match="ACK margin"):
        replace(route, ack_margin=3600).check()
