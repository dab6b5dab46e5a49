"""Bad input gets a clear error naming what is wrong, and loses nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nnc.chain.market import Market, PublishRequest
from nnc.chain.types import TaskStatus
from nnc.cli import cli
from nnc.devnet import REQUESTER, Devnet
from nnc.errors import ContractRevertError
from nnc.task import load_spec, spec_digest
from nnc.task.publish import PublishError, PublishOptions
from tests.e2e.harness import TINY_SPEC, make_network

pytestmark = pytest.mark.e2e


def request(devnet: Devnet, **overrides: object) -> PublishRequest:
    now = devnet.client(0).block_timestamp()
    fields: dict[str, object] = {
        "spec_digest": spec_digest(load_spec(TINY_SPEC)), "spec_uri": "local://sha256/00", "budget": 10**17,
        "replication": 1, "collateral": 0, "apply_deadline": now + 60, "deadline": now + 600}
    fields.update(overrides)
    return PublishRequest(**fields)  # type: ignore[arg-type]


def assert_nothing_escrowed(devnet: Devnet, market: Market) -> None:
    assert market.task_count() == 0
    assert devnet.client(0).w3.eth.get_balance(market.contract.address) == 0


def test_malformed_spec_file_is_rejected_by_the_cli_before_anything_is_sent(
        chain: Devnet, tmp_path: Path) -> None:
    bad = tmp_path / "spec.json"
    spec = json.loads(TINY_SPEC.read_text())
    spec["training"]["steps"] = 0
    bad.write_text(json.dumps(spec))
    env = {"NNC_RPC_URL": chain.rpc_url, "NNC_KEY_FILE": str(chain.key_file(REQUESTER)),
           "NNC_DEPLOYMENT_FILE": str(chain.deployment_file), "NNC_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(cli, ["task", "publish", str(bad), "--budget", "1"], env=env)
    assert result.exit_code != 0
    assert "training.steps" in str(result.exception)
    truncated = tmp_path / "broken.json"
    truncated.write_text('{"version": 1, "name": ')
    result = CliRunner().invoke(cli, ["task", "validate", str(truncated)], env=env)
    assert result.exit_code != 0 and "broken.json" in str(result.exception)
    assert_nothing_escrowed(chain, Market(chain.client(REQUESTER)))


def test_zero_budget_is_refused_offline_and_by_the_contract(chain: Devnet) -> None:
    with pytest.raises(PublishError, match="budget must be positive"):
        PublishOptions(budget=0).check()
    market = Market(chain.client(REQUESTER))
    with pytest.raises(ContractRevertError) as err:
        market.publish(request(chain, budget=0))
    assert err.value.name == "ZeroBudget"
    assert_nothing_escrowed(chain, market)


def test_unknown_token_is_refused_naming_the_token(chain: Devnet) -> None:
    market = Market(chain.client(REQUESTER))
    unknown = "0x000000000000000000000000000000000000dEaD"
    with pytest.raises(ContractRevertError) as err:
        market.publish(request(chain, token=unknown))
    assert err.value.name == "TokenNotAllowed"
    assert unknown.lower() in str(err.value).lower()
    assert_nothing_escrowed(chain, market)


def test_deadline_in_the_past_is_refused_with_both_times(chain: Devnet) -> None:
    market = Market(chain.client(REQUESTER))
    now = chain.client(0).block_timestamp()
    with pytest.raises(ContractRevertError) as err:
        market.publish(request(chain, apply_deadline=now - 10, deadline=now - 5))
    assert err.value.name == "DeadlineInPast"
    assert_nothing_escrowed(chain, market)


def test_submitting_for_a_task_the_node_is_not_assigned_to_is_refused(chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, chain.node_indices()[:1])
    task_id = net.publish(replication=1)
    outsider = Market(chain.client(chain.node_indices()[1]))
    with pytest.raises(ContractRevertError) as err:
        outsider.submit_result(task_id, b"\x01" * 32, "local://sha256/01")
    assert err.value.name == "InvalidStatus"  # not even assigned yet
    net.run_until("assigned", lambda: net.status(task_id) != TaskStatus.PUBLISHED, max_steps=2)
    with pytest.raises(ContractRevertError) as err:
        outsider.submit_result(task_id, b"\x01" * 32, "local://sha256/01")
    assert err.value.name == "NotAssigned"
    assert outsider.client.address.lower() in str(err.value).lower()


def test_second_settle_is_refused_and_pays_nothing_twice(chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, chain.node_indices()[:1])
    task_id = net.publish(replication=1)
    net.settle(task_id)
    market = net.market()
    owed_before = market.claimable(net.workers[0].node)
    with pytest.raises(ContractRevertError) as err:
        market.settle(task_id)
    assert err.value.name == "InvalidStatus"
    assert "Settled" in str(err.value)
    assert market.claimable(net.workers[0].node) == owed_before


def test_too_short_execution_window_is_refused_before_and_by_the_contract(chain: Devnet, tmp_path: Path) -> None:
    """Issue 12: at least the market's minimum execution window between applications and the deadline."""
    from nnc.storage import LocalStore
    from nnc.task import load_spec
    from nnc.task.publish import PublishError, PublishOptions, publish_task
    from tests.e2e.harness import TINY_SPEC

    market = Market(chain.client(REQUESTER))
    need = market.params().min_execution_window
    assert need > 1
    with pytest.raises(PublishError, match="minimum execution window"):
        publish_task(chain.client(REQUESTER), LocalStore(tmp_path / "store"), load_spec(TINY_SPEC),
                     PublishOptions(budget=10**17, apply_window=60, deadline=60 + need - 1))
    now = chain.client(0).block_timestamp()
    with pytest.raises(ContractRevertError) as err:
        market.publish(request(chain, apply_deadline=now + 60, deadline=now + 60 + need - 1))
    assert err.value.name == "ExecutionWindowTooShort"
    assert_nothing_escrowed(chain, market)
