"""The JSON bodies the API answers with, as types: the services return them, and the OpenAPI
document's schemas are generated from them (`nnc.api.openapi`), so the two cannot drift apart.

Conventions: every uint256 (amounts, ids from events) is a decimal string, addresses are 0x hex,
enums travel as their lower-case Solidity member names, taken from the Python mirrors of the
contracts' enums. Objects allow extra keys unless marked otherwise (clients must ignore them).

Each resource's bodies live in their own module; this package re-exports them, and RESPONSES
lists the top-level ones (nested types are found from them). TypedDicts come from
`typing_extensions`: pydantic reads their schemas from it on Python 3.11.
"""

from nnc.api.responses.common import Error, ErrorDetail, Event
from nnc.api.responses.governance import (
    Dispute,
    DisputeList,
    DisputeVotes,
    GovernedParameter,
    GovernedParameterList,
    Proposal,
    ProposalList,
    ProposalVote,
)
from nnc.api.responses.models import (
    Model,
    ModelDetail,
    ModelList,
    ModelOwner,
    ModelSpec,
    Rating,
    RatingList,
    RatingSummary,
    Review,
    ReviewList,
)
from nnc.api.responses.nodes import (
    NodeAssignment,
    NodeBalances,
    NodeClaimable,
    NodeDetail,
    NodeEarning,
    NodeList,
    NodeProfile,
    NodeStake,
    NodeSummary,
)
from nnc.api.responses.protocol import (
    Deployment,
    Health,
    Params,
    ReputationInfo,
    SettlementInfo,
    SpokeChain,
    StakingInfo,
    StrategyInfo,
    TokenInfo,
)
from nnc.api.responses.publishing import (
    Estimate,
    Runtime,
    RuntimeList,
    Template,
    TemplateList,
    Upload,
    UploadTarget,
    Validation,
)
from nnc.api.responses.rounds import RoundCell, RoundCheck, RoundCommitment, RoundEntry, RoundMember, RoundTimeline
from nnc.api.responses.scalars import (
    Address,
    Amount,
    BondName,
    DisputeStatusName,
    Framework,
    Hex32,
    ProposalStateName,
    TaskSpecDocument,
    TaskStatusName,
    UploadKind,
)
from nnc.api.responses.tasks import Task, TaskChainView, TaskDetail, TaskList, TaskNode, Trace

RESPONSES: tuple[type, ...] = (
    Error, Event, Task, TaskList, TaskDetail, Trace, NodeSummary, NodeList, NodeDetail, Dispute, DisputeList,
    Proposal, ProposalList, Upload, UploadTarget, Validation, Estimate, Template, TemplateList, RuntimeList, Params,
    Deployment, Health, Model, ModelList, ModelDetail, ModelSpec, RatingList, ReviewList, RoundTimeline,
    GovernedParameterList)
"""Every body the API answers with: the OpenAPI document's component schemas."""

__all__ = [
    "Address", "Amount", "BondName", "Deployment", "Dispute", "DisputeList", "DisputeStatusName", "DisputeVotes",
    "Error", "ErrorDetail", "Estimate", "Event", "Framework", "GovernedParameter", "GovernedParameterList",
    "Health", "Hex32", "Model", "ModelDetail", "ModelList",
    "ModelOwner", "ModelSpec", "NodeAssignment", "NodeBalances", "NodeClaimable", "NodeDetail", "NodeEarning",
    "NodeList", "NodeProfile", "NodeStake", "NodeSummary", "Params", "Proposal", "ProposalList", "ProposalStateName",
    "ProposalVote", "RESPONSES", "Rating", "RatingList", "RatingSummary", "ReputationInfo", "Review", "ReviewList",
    "RoundCell", "RoundCheck", "RoundCommitment", "RoundEntry", "RoundMember", "RoundTimeline",
    "Runtime", "RuntimeList", "SettlementInfo", "SpokeChain", "StakingInfo", "StrategyInfo", "Task", "TaskChainView",
    "TaskDetail", "TaskList", "TaskNode",
    "TaskSpecDocument", "TaskStatusName", "Template", "TemplateList", "TokenInfo", "Trace", "Upload", "UploadKind",
    "UploadTarget", "Validation",
]
