"""Model library queries for the API: pages of models with filters and their ratings summaries, one
model with owners, lineage and children.

The ModelRegistry has no index projection yet: a page reads the candidate models from the contract
(all, one task's, or one owner's) and filters them here; the ratings summaries (ModelRatings) are
read for the page's models, or for every candidate when the page filters or sorts by rating.
"""

from __future__ import annotations

from nnc.api.context import ApiContext
from nnc.api.errors import NotFoundError
from nnc.api.ratings import rating_summary
from nnc.api.responses.models import QUALITY_SOURCES, Model, ModelDetail, ModelList, RatingSummary
from nnc.api.validation import ModelFilter, Page
from nnc.chain.models import Models, ModelView, Visibility

REGISTRY = "ModelRegistry"


def list_models(ctx: ApiContext, filters: ModelFilter, page: Page) -> ModelList:
    """Models newest first (empty when the deployment has no model registry)."""
    if not ctx.has(REGISTRY):
        return {"items": [], "total": 0, "limit": page.limit, "offset": page.offset}
    models = Models(ctx.client)
    if filters.task is not None:
        found = models.model_of_task(filters.task)
        candidates = [] if found is None else [found]
    elif filters.owner is not None:
        candidates = sorted(models.models_of(filters.owner), reverse=True)
    else:
        candidates = list(range(models.count(), 0, -1))
    views = [models.model(i) for i in candidates]
    if filters.owner is not None and filters.task is not None:
        owned = set(models.models_of(filters.owner))
        views = [v for v in views if v.model_id in owned]
    if filters.verified is not None:
        views = [v for v in views if v.verified == filters.verified]
    views = [v for v in views if _matches(v, filters)]
    if filters.sort == "metric":  # stable: equal values stay newest first
        views.sort(key=lambda v: v.metric_value if v.verified else -1, reverse=True)
    ratings: dict[int, RatingSummary | None] = {}
    if filters.min_rating is not None or filters.sort == "rating":
        ratings = {v.model_id: rating_summary(ctx, v.model_id) for v in views}
        views = [v for v in views if filters.min_rating is None or _shown(ratings[v.model_id]) >= filters.min_rating]
        if filters.sort == "rating":  # unrated last; stable: equal ratings stay in their order
            views.sort(key=lambda v: _shown(ratings[v.model_id]), reverse=True)
    shown = views[page.offset:page.offset + page.limit]
    items = [present_model(v, ratings[v.model_id] if v.model_id in ratings else rating_summary(ctx, v.model_id))
             for v in shown]
    return {"items": items, "total": len(views), "limit": page.limit, "offset": page.offset}


def _matches(view: ModelView, filters: ModelFilter) -> bool:
    """Whether a model passes the text filters (each compared in any case)."""
    meta = view.metadata
    wanted = ((filters.framework, meta.framework), (filters.metric, meta.metric), (filters.licence, meta.licence),
              (filters.domain, meta.domain))
    return all(want is None or want.lower() == have.lower() for want, have in wanted)


def _shown(summary: RatingSummary | None) -> float:
    """The average the library shows, in stars (0: unrated)."""
    if summary is None or summary["shown"] is None:
        return 0.0
    return summary["shown"]


def get_model(ctx: ApiContext, model_id: int) -> ModelDetail:
    """One model with its owners and shares, its ancestors up to the root, and its children."""
    count = Models(ctx.client).count() if ctx.has(REGISTRY) else 0
    if not 1 <= model_id <= count:
        raise NotFoundError(f"unknown model {model_id} (registered models: {f'1..{count}' if count else 'none'})")
    models = Models(ctx.client)
    return {**present_model(models.model(model_id), rating_summary(ctx, model_id)),
            "owners": [{"account": o.account, "share_bps": o.share_bps} for o in models.owners_of(model_id)],
            "lineage": models.lineage(model_id), "children": models.children_of(model_id)}


def present_model(view: ModelView, ratings: RatingSummary | None) -> Model:
    meta = view.metadata
    return {
        "id": view.model_id, "task_id": view.task_id or None, "verified_by": view.verified_by or None,
        "verified": view.verified, "parent_id": view.parent_id or None,
        "visibility": Visibility(int(view.visibility)).name.lower(), "model_digest": "0x" + view.model_digest.hex(),
        "spec_digest": "0x" + view.spec_digest.hex(), "metric": meta.metric, "metric_value": view.metric_value,
        "scored_by": QUALITY_SOURCES[view.scored_by] if view.scored_by < len(QUALITY_SOURCES) else "none",
        "registrant": view.registrant, "registered_at": view.registered_at, "model_uri": meta.model_uri,
        "licence": meta.licence, "framework": meta.framework, "spec_uri": meta.spec_uri,
        "program_digest": "0x" + meta.program_digest.hex() if any(meta.program_digest) else None,
        "program_uri": meta.program_uri, "dataset_uri": meta.dataset_uri, "domain": meta.domain,
        "ratings": ratings,
    }


__all__ = ["get_model", "list_models", "present_model"]
