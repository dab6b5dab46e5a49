"""Bodies of /api/models: pages of the model library, one model with its owners, lineage and children."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, WithJsonSchema
from typing_extensions import TypedDict

from nnc.api.responses.scalars import Address, Hex32, TaskSpecDocument
from nnc.chain.generated import ENUMS
from nnc.chain.models import Visibility

VisibilityName = Annotated[str, WithJsonSchema({"type": "string", "enum": [v.name.lower() for v in Visibility],
                                                "description": "`IModelRegistry.Visibility`, lower-case"})]

QUALITY_SOURCES: tuple[str, ...] = tuple(name.lower() for name in ENUMS["QualitySource"])
"""`ITaskMarket.QualitySource`, lower-case: who set the training task's quality score."""
QualitySourceName = Annotated[str, WithJsonSchema({"type": "string", "enum": list(QUALITY_SOURCES),
                                                   "description": "who set the training task's quality score"})]


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
