"""Bodies of /api/models: pages of the model library, one model with its owners, lineage, children and
ratings summary, and a model's ratings."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, WithJsonSchema
from typing_extensions import TypedDict

from nnc.api.responses.scalars import Address, Amount, Hex32, TaskSpecDocument
from nnc.chain.generated import ENUMS
from nnc.chain.model_domains import DOMAINS
from nnc.chain.models import Visibility

VisibilityName = Annotated[str, WithJsonSchema({"type": "string", "enum": [v.name.lower() for v in Visibility],
                                                "description": "`IModelRegistry.Visibility`, lower-case"})]

QUALITY_SOURCES: tuple[str, ...] = tuple(name.lower() for name in ENUMS["QualitySource"])
"""`ITaskMarket.QualitySource`, lower-case: who set the training task's quality score."""
QualitySourceName = Annotated[str, WithJsonSchema({"type": "string", "enum": list(QUALITY_SOURCES),
                                                   "description": "who set the training task's quality score"})]


class RatingSummary(TypedDict):
    """A model's two rating aggregates (`IModelRatings.Summary`) and the one the library shows."""

    shown: Annotated[float | None, Field(description="the verified users' average when there is one, else the "
                                                     "stake-weighted one; null: no rating (stars, 1 to 5)")]
    shown_source: Annotated[str | None, WithJsonSchema({"enum": ["verified", "staked", None],
                                                        "description": "which average `shown` is"})]
    verified_average: Annotated[float | None, Field(description="verified users' stars, weighted by use")]
    verified_count: int
    verified_weight_bps: Annotated[int, Field(description="sum of the verified raters' use weights (10,000: "
                                                          "one whole vote)")]
    staked_average: Annotated[float | None, Field(description="stars weighted by the NNT staked on them")]
    staked_count: int
    total_stake: Amount


class Model(TypedDict):
    """A model as the ModelRegistry holds it: the chain's facts and what its lister stated."""

    id: int
    task_id: Annotated[int | None, Field(description="the task that trained it (null: shared from outside)")]
    verified_by: Annotated[int | None, Field(description="the task that trained or evaluated it (null: unverified)")]
    verified: bool
    parent_id: int | None
    visibility: VisibilityName
    model_digest: Annotated[Hex32, Field(description="the training task's agreed result digest")]
    spec_digest: Hex32
    metric: str
    metric_value: Annotated[int, Field(description="basis points, the task's quality score (0: unverified)")]
    scored_by: QualitySourceName
    registrant: Address
    registered_at: int
    model_uri: str
    licence: Annotated[str, Field(description="SPDX licence identifier")]
    framework: str
    spec_uri: str
    program_digest: Hex32 | None
    program_uri: str
    dataset_uri: str
    domain: Annotated[str, WithJsonSchema({"type": "string", "enum": ["", *DOMAINS],
                                           "description": "what the model works on (empty: not stated)"})]
    ratings: Annotated[RatingSummary | None, Field(description="null when the deployment has no ratings contract")]


class ModelList(TypedDict):
    items: list[Model]
    total: int
    limit: int
    offset: int


class ModelOwner(TypedDict):
    account: Address
    share_bps: Annotated[int, Field(description="basis points; a model's shares sum to 10,000")]


class ModelDetail(Model):
    owners: list[ModelOwner]
    lineage: Annotated[list[int], Field(description="ancestors' ids, parent first, up to the root")]
    children: list[int]


class Rating(TypedDict):
    """One address's live rating of a model."""

    rater: Address
    stars: Annotated[int, Field(ge=1, le=5)]
    verified: Annotated[bool, Field(description="a verified user: paid for a task that used the model")]
    use_weight_bps: int
    stake: Amount
    review_uri: Annotated[str, Field(description="the review document (empty: none)")]
    updated_at: int
    locked_until: Annotated[int, Field(description="its stake comes back no earlier (unix seconds)")]


class RatingList(TypedDict):
    """Live ratings among the model's raters `offset`.. (at most `limit` raters read; a withdrawn
    rating is left out), with the summary."""

    items: list[Rating]
    total: Annotated[int, Field(description="addresses that ever rated the model")]
    limit: int
    offset: int
    summary: RatingSummary


class ModelSpec(TypedDict):
    """The spec a model was trained or verified with (checked against its spec digest): what the
    publish flow starts a fine-tune or an inference task of the model from."""

    model_id: int
    spec: TaskSpecDocument
    spec_digest: Hex32
    dataset_inputs: Annotated[int | None, Field(description="how many inputs the spec's dataset holds, when "
                                                            "it is a bundled one (null: the requester's own data)")]


class Review(TypedDict):
    """The review document a live rating names, read from storage."""

    rater: Address
    stars: int
    review_uri: str
    review: Annotated[str | None, Field(description="its text (null: not readable, see `problem`)")]
    problem: Annotated[str | None, Field(description="why the document could not be shown (null: it could)")]


class ReviewList(TypedDict):
    """The reviews among the model's raters `offset`.. (ratings without a review URI left out)."""

    items: list[Review]
    limit: int
    offset: int
