"""What a cross-chain task costs over Hyperlane, on the two-chain devnet (real Mailbox, test ISM,
Hyperlane's relayer, anvil with a block per transaction).

- Gas, per chain, of one task's requester-side and bridge transactions against the same task
  published on the home chain: a task published, expired unassigned (nobody applied), its refund
  claimed. Home-chain task: publish, expire, claim (home). Cross-chain task: publish (spoke), the
  PUBLISH delivery (home, paid by the relayer), the ACK delivery (spoke), expire (home), the
  settlement relay (home, the oracle), the SETTLE delivery (spoke), claim (spoke). The nodes'
  own transactions (apply, submit, claim) are the same whichever chain paid, so they are left out.
  `gas_ratio_crosschain_over_home` = the cross-chain total over the home total (exact: the EVM
  is deterministic).
- Latency: publish -> assignment on home (one node applies as soon as it sees the task, then
  `assign`), `--samples` times for a task from the spoke (through the local relayer) and for one
  published at home; `publish_to_assign_s_median` is the spoke's median, `added_latency_s_median`
  the difference of the medians. Wall-clock and noisy (the relayer polls).

The last line is one JSON object with the key figures.

    .venv/bin/python bench/crosschain.py [--samples 5] [--quick]

`--quick` (run by tests/bench): one latency sample each.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from nnc.chain.deploy import NNT
from nnc.chain.market import Market, PublishRequest
from nnc.chain.registry import Registry
from nnc.chain.types import ETH, TaskStatus
from nnc.crosschain.devnet import HOME, SPOKE, TwoChainDevnet
from nnc.crosschain.gateways import Published
from nnc.devnet import DEPLOYER, FIRST_NODE, ORACLE, REQUESTER
from nnc.storage import LocalStore
from nnc.task import canonical_json, compute_units, load_spec, spec_digest
from nnc.task.publish import PublishOptions
from nnc.task.spoke_publish import publish_on_spoke

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "tests" / "data" / "tiny-spec.json"
BUDGET = 10**17
APPLY_WINDOW = 60
RELAY_ALLOWANCE = 60


def gas(receipt: Any) -> int:
    return int(receipt["gasUsed"])


def options(replication: int = 1) -> PublishOptions:
    return PublishOptions(budget=BUDGET, replication=replication, apply_window=APPLY_WINDOW, deadline=600)


def home_publish(net: TwoChainDevnet, store: LocalStore) -> tuple[int, Any]:
    client = net.home_client(REQUESTER)
    spec = load_spec(SPEC)
    now = client.block_timestamp()
    request = PublishRequest(spec_digest=spec_digest(spec), spec_uri=store.put_bytes(canonical_json(spec)),
                             budget=BUDGET, replication=1, collateral=0, apply_deadline=now + APPLY_WINDOW,
                             deadline=now + 600, compute_units=compute_units(spec))
    return Market(client).publish(request)


def spoke_publish(net: TwoChainDevnet, store: LocalStore) -> Published:
    published = publish_on_spoke(net.home_client(DEPLOYER), net.spoke_gateway(REQUESTER), store, load_spec(SPEC),
                                 options(), relay_allowance=RELAY_ALLOWANCE)
    assert isinstance(published, Published)  # native coin
    return published


def bridged(net: TwoChainDevnet, published: Published, timeout: float = 120.0) -> int:
    gateway = net.home_gateway()
    domain = net.spoke_chain.domain
    task: int = net.home_client(DEPLOYER).wait_for(f"escrow {published.escrow_id} published at home",
                                                   lambda: gateway.task_of(domain, published.escrow_id), timeout,
                                                   interval=0.05)
    return task


def assign_now(net: TwoChainDevnet, task_id: int) -> None:
    """The node applies and the task is assigned (first come, replication 1)."""
    Market(net.home_client(FIRST_NODE)).apply(task_id)
    Market(net.home_client(ORACLE)).assign(task_id)
    assert Market(net.home_client(ORACLE)).task(task_id).status == TaskStatus.ASSIGNED


def latency_samples(net: TwoChainDevnet, store: LocalStore, samples: int) -> tuple[list[float], list[float]]:
    spoke, home = [], []
    for _ in range(samples):
        started = time.monotonic()
        published = spoke_publish(net, store)
        assign_now(net, bridged(net, published))
        spoke.append(time.monotonic() - started)
        started = time.monotonic()
        task_id, _ = home_publish(net, store)
        assign_now(net, task_id)
        home.append(time.monotonic() - started)
    return spoke, home


def gas_home_task(net: TwoChainDevnet, store: LocalStore) -> dict[str, int]:
    task_id, receipt = home_publish(net, store)
    net.advance_time(APPLY_WINDOW + 1)
    expired = Market(net.home_client(ORACLE)).expire(task_id)
    claimed = Market(net.home_client(REQUESTER)).claim(ETH)
    return {"publish": gas(receipt), "expire": gas(expired), "claim": gas(claimed)}


def gas_crosschain_task(net: TwoChainDevnet, published: Published) -> dict[str, dict[str, int]]:
    relayer = net.relayer
    assert relayer is not None
    task_id = bridged(net, published)
    escrow = net.spoke_gateway(REQUESTER)
    net.home_client(DEPLOYER).wait_for("the ACK", lambda: escrow.escrow(published.escrow_id).status >= 2, 120)
    ack_delivery = event_receipt(escrow.contract, "Acknowledged", escrowId=published.escrow_id)
    publish_delivery = relayer.delivery(HOME, published.message_id)
    net.advance_time(APPLY_WINDOW + RELAY_ALLOWANCE + 1)
    expired = Market(net.home_client(ORACLE)).expire(task_id)
    settle_id, relayed = net.home_gateway(ORACLE).relay_settlement(task_id)
    relayer.wait_delivered(SPOKE, settle_id, timeout=120)
    claimed = escrow.claim()
    return {"spoke": {"publish": gas(published.receipt), "ack_delivery": gas(ack_delivery),
                      "settle_delivery": gas(relayer.delivery(SPOKE, settle_id)), "claim": gas(claimed)},
            "home": {"publish_delivery": gas(publish_delivery), "expire": gas(expired),
                     "relay_settlement": gas(relayed)}}


def event_receipt(contract: Any, name: str, **filters: Any) -> Any:
    """The receipt of the transaction that emitted `contract`'s event `name` matching `filters`."""
    logs = getattr(contract.events, name)().get_logs(from_block=0, argument_filters=filters)
    assert len(logs) == 1, f"expected one {name} event for {filters}, found {len(logs)}"
    return contract.w3.eth.get_transaction_receipt(logs[0]["transactionHash"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    samples = 1 if args.quick else args.samples
    with tempfile.TemporaryDirectory(prefix="nnc-bench-crosschain-") as tmp:
        started = time.monotonic()
        with TwoChainDevnet(Path(tmp), nodes=1, stall_s=60.0) as net:
            up_s = time.monotonic() - started
            store = LocalStore(Path(tmp) / "store")
            node = net.home_client(FIRST_NODE)
            Registry(node).register(b"\x01" * 32, 0)
            Registry(node).stake(200 * NNT)
            gas_published = spoke_publish(net, store)  # its trip overlaps the latency samples
            spoke_s, home_s = latency_samples(net, store, samples)
            cross = gas_crosschain_task(net, gas_published)
            home = gas_home_task(net, store)
            relayer = net.relayer
            assert relayer is not None
            cross_total = sum(cross["spoke"].values()) + sum(cross["home"].values())
            result = {
                "gas_ratio_crosschain_over_home": round(cross_total / sum(home.values()), 3),
                "gas_crosschain": cross, "gas_home_task": home,
                "gas_crosschain_total": cross_total, "gas_home_total": sum(home.values()),
                "publish_to_assign_s_median": round(statistics.median(spoke_s), 2),
                "home_publish_to_assign_s_median": round(statistics.median(home_s), 2),
                "added_latency_s_median": round(statistics.median(spoke_s) - statistics.median(home_s), 2),
                "publish_to_assign_s": [round(s, 2) for s in spoke_s], "samples": samples,
                "devnet_up_s": round(up_s, 1), "core_deploy_s": {k: round(v, 1) for k, v in net.timings.items()
                                                                 if k.startswith("core_")},
                "relayer_ready_s": round(net.timings["relayer_ready"], 1),
                "relayer_restarts": relayer.restarts, "hand_deliveries": relayer.hand_deliveries,
            }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
