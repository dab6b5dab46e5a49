"""Verification, arbitration and governance contracts: deployment, and the DAO's proposal cycle.

`deploy_governance` deploys Arbitration, SpotCheck, NNCTimelock and NNCGovernor, wires their
roles, and hands DEFAULT_ADMIN_ROLE of every protocol contract to the timelock, which only the
governor can schedule on: from then on every parameter changes by proposal -> vote -> queue ->
execute. The deployer keeps no role: `deploy_governance` checks every role of every contract at the
end and raises if the deployer still holds one. With no treasury given, the production profile
pays fees to the timelock (the DAO). On a devnet, a voter account holds 10% of the NNT supply,
delegated to itself (`nnc.devnet`), which lets it pass proposals and decide disputes alone there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction

from nnc.chain.client import ChainClient
from nnc.errors import ChainError

if TYPE_CHECKING:
    from nnc.chain.profiles import ProtocolParams

log = logging.getLogger(__name__)

ADMIN_ROLE = b"\x00" * 32
GOVERNED = ("NodeRegistry", "Reputation", "RewardsPool", "MarketConfig", "TaskMarket", "ModelRegistry", "Arbitration",
            "SpotCheck", "ModelRatings")


def deploy_governance(client: ChainClient, params: ProtocolParams, token: Contract, registry: Contract,
                      reputation: Contract, pool: Contract, config: Contract, market: Contract,
                      models: Contract, others: dict[str, Contract] | None = None,
                      before_handover: Callable[[str, str], dict[str, str]] | None = None) -> dict[str, str]:
    """Deploys and wires the four contracts, then hands every admin role to the timelock (that of
    `others` too: further governed contracts by name). `before_handover(arbitration, spot_check)`,
    when given, deploys what needs those two and may still use the deployer's admin roles; the
    addresses it returns are returned too."""
    deployer = client.address
    arbitration = client.deploy(
        "Arbitration", market.address, registry.address, token.address, params.treasury or deployer,
        (params.min_bond, params.dispute_voting_delay, params.dispute_voting_period, params.dispute_quorum_bps,
         params.challenger_share_bps, params.requester_share_bps, params.node_bond_share_bps), deployer)
    spot_check = client.deploy("SpotCheck", market.address, registry.address, reputation.address,
                               arbitration.address, params.spot_check_report_window,
                               params.spot_check_verification_timeout, deployer)
    timelock = client.deploy("NNCTimelock", params.timelock_delay, [], ["0x" + "00" * 20], deployer)
    governor = client.deploy("NNCGovernor", token.address, timelock.address, params.governor_voting_delay,
                             params.governor_voting_period, params.governor_proposal_threshold,
                             params.governor_quorum_percent)

    # DISPUTE_ROLE is bound once, here, and can never be granted again (not by governance either)
    client.transact(market.functions.bindDisputeResolvers([arbitration.address, spot_check.address]),
                    context="bind dispute resolvers")
    _grant(client, arbitration, "OPENER_ROLE", spot_check.address)
    _grant(client, reputation, "REPORTER_ROLE", spot_check.address)
    _grant(client, timelock, "PROPOSER_ROLE", governor.address)
    _grant(client, timelock, "CANCELLER_ROLE", governor.address)

    if params.treasury is None and params.profile == "production":
        client.transact(config.functions.setTreasury(timelock.address), context="market fees to the timelock")
        client.transact(arbitration.functions.setTreasury(timelock.address),
                        context="arbitration shares to the timelock")

    extra = before_handover(arbitration.address, spot_check.address) if before_handover is not None else {}
    contracts = {"NodeRegistry": registry, "Reputation": reputation, "RewardsPool": pool, "MarketConfig": config,
                 "TaskMarket": market, "ModelRegistry": models, "Arbitration": arbitration, "SpotCheck": spot_check,
                 **(others or {})}
    for name, contract in contracts.items():
        client.transact(contract.functions.grantRole(ADMIN_ROLE, timelock.address),
                        context=f"{name}: admin to timelock")
        client.transact(contract.functions.renounceRole(ADMIN_ROLE, deployer), context=f"{name}: deployer renounces")
    client.transact(timelock.functions.renounceRole(ADMIN_ROLE, deployer), context="timelock: deployer renounces")
    held = roles_held(deployer, {**contracts, "NNCTimelock": timelock})
    if held:
        raise ChainError(f"the deployer {deployer} still holds {', '.join(held)} after the hand-over")
    log.info("governance: timelock %s administers %s; governor %s", timelock.address, ", ".join(GOVERNED),
             governor.address)
    return {"Arbitration": arbitration.address, "SpotCheck": spot_check.address, "NNCTimelock": timelock.address,
            "NNCGovernor": governor.address, **extra}


def roles_held(account: str, contracts: dict[str, Contract]) -> list[str]:
    """The roles (`Contract.ROLE`) that `account` holds among every `*_ROLE` constant of `contracts`
    and their DEFAULT_ADMIN_ROLE."""
    held = []
    for name, contract in contracts.items():
        functions: list[dict[str, Any]] = [dict(f) for f in contract.abi if f.get("type") == "function"]
        if not any(f.get("name") == "hasRole" for f in functions):
            continue
        role_names = [str(f["name"]) for f in functions if str(f["name"]).endswith("_ROLE") and not f.get("inputs")]
        roles = {"DEFAULT_ADMIN_ROLE": ADMIN_ROLE}
        roles.update({role_name: getattr(contract.functions, role_name)().call() for role_name in role_names})
        held += [f"{name}.{role_name}" for role_name, role in roles.items()
                 if contract.functions.hasRole(role, account).call()]
    return held


def _grant(client: ChainClient, contract: Contract, role_name: str, account: str) -> None:
    role = getattr(contract.functions, role_name)().call()
    client.transact(contract.functions.grantRole(role, account), context=f"grant {role_name}")


class ProposalState(IntEnum):
    """Mirrors OpenZeppelin's `IGovernor.ProposalState` (same order)."""

    PENDING = 0
    ACTIVE = 1
    CANCELED = 2
    DEFEATED = 3
    SUCCEEDED = 4
    QUEUED = 5
    EXPIRED = 6
    EXECUTED = 7


@dataclass(frozen=True)
class ProposalRecord:
    """A proposal as created: its calls, description and voting window (in blocks)."""

    proposal_id: int
    proposer: str
    targets: list[str]
    values: list[int]
    calldatas: list[bytes]
    description: str
    vote_start: int
    vote_end: int


class Governance:
    """The governor seen from one voter's account: propose, vote, queue, execute."""

    def __init__(self, client: ChainClient, governor: str = "NNCGovernor") -> None:
        self.client = client
        self.governor = client.contract(governor)

    def propose(self, calls: list[ContractFunction], description: str) -> int:
        """Proposes `calls` (built functions of protocol contracts); returns the proposal id."""
        targets, values, datas = self._encode(calls)
        self.client.transact(self.governor.functions.propose(targets, values, datas, description),
                             context=f"propose {description!r}")
        return int(self.governor.functions.hashProposal(targets, values, datas, _hash(description)).call())

    def vote(self, proposal_id: int, support: int = 1) -> None:
        """Votes 1 = for, 0 = against, 2 = abstain."""
        self.client.transact(self.governor.functions.castVote(proposal_id, support),
                             context=f"vote on proposal {proposal_id}")

    def queue(self, calls: list[ContractFunction], description: str) -> None:
        targets, values, datas = self._encode(calls)
        self.client.transact(self.governor.functions.queue(targets, values, datas, _hash(description)),
                             context=f"queue {description!r}")

    def execute(self, calls: list[ContractFunction], description: str) -> None:
        targets, values, datas = self._encode(calls)
        self.client.transact(self.governor.functions.execute(targets, values, datas, _hash(description)),
                             context=f"execute {description!r}")

    def created(self, proposal_id: int) -> ProposalRecord:
        """What proposal `proposal_id` proposed (its `ProposalCreated` event); ChainError when none."""
        start = self.client.deployment.start_block if self.client.deployment else 0
        for log in self.governor.events.ProposalCreated().get_logs(from_block=start):
            if int(log.args.proposalId) == proposal_id:
                a = log.args
                return ProposalRecord(proposal_id, str(a.proposer), [str(t) for t in a.targets],
                                      [int(v) for v in a["values"]], [bytes(d) for d in a.calldatas],
                                      str(a.description), int(a.voteStart), int(a.voteEnd))
        raise ChainError(f"no proposal {proposal_id} on governor {self.governor.address}")

    def votes(self, proposal_id: int) -> tuple[int, int, int]:
        """(against, for, abstain) votes, in NNT-wei of voting power."""
        against, for_, abstain = self.governor.functions.proposalVotes(proposal_id).call()
        return int(against), int(for_), int(abstain)

    def queue_by_id(self, proposal_id: int) -> None:
        p = self.created(proposal_id)
        self.client.transact(self.governor.functions.queue(p.targets, p.values, p.calldatas, _hash(p.description)),
                             context=f"queue proposal {proposal_id}")

    def execute_by_id(self, proposal_id: int) -> None:
        p = self.created(proposal_id)
        self.client.transact(self.governor.functions.execute(p.targets, p.values, p.calldatas, _hash(p.description)),
                             context=f"execute proposal {proposal_id}")

    def state(self, proposal_id: int) -> str:
        """The proposal's state by its Solidity name ("Pending", "Active", ...)."""
        return self.proposal_state(proposal_id).name.capitalize()

    def proposal_state(self, proposal_id: int) -> ProposalState:
        return ProposalState(int(self.governor.functions.state(proposal_id).call()))

    def _encode(self, calls: list[ContractFunction]) -> tuple[list[str], list[int], list[bytes]]:
        if not calls:
            raise ChainError("a proposal needs at least one call")
        targets = [str(Web3.to_checksum_address(str(c.address))) for c in calls]
        datas = [bytes.fromhex(c._encode_transaction_data()[2:]) for c in calls]
        return targets, [0] * len(calls), datas


def _hash(description: str) -> bytes:
    return Web3.keccak(text=description)

