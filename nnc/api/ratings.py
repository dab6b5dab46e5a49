"""Model ratings for the API: a model's rating summary (both averages and the shown one) and a
page of its live ratings, read from the ModelRatings contract."""

from __future__ import annotations

from nnc.api.context import ApiContext
from nnc.api.errors import NotFoundError
from nnc.api.responses.models import Rating, RatingList, RatingSummary
from nnc.api.validation import Page
from nnc.chain.models import Models
from nnc.chain.ratings import Ratings, RatingView
from nnc.chain.ratings import RatingSummary as SummaryView

RATINGS = "ModelRatings"


def rating_summary(ctx: ApiContext, model_id: int) -> RatingSummary | None:
    """The model's summary, or None when the deployment has no ratings contract."""
    if not ctx.has(RATINGS):
        return None
    return present_summary(Ratings(ctx.client).summary(model_id))


def list_ratings(ctx: ApiContext, model_id: int, page: Page) -> RatingList:
    """The live ratings among raters `page.offset`.. of a listed model."""
    count = Models(ctx.client).count() if ctx.has("ModelRegistry") else 0
    if not 1 <= model_id <= count or not ctx.has(RATINGS):
        raise NotFoundError(f"unknown model {model_id} (registered models: {f'1..{count}' if count else 'none'}"
                            f"{'' if ctx.has(RATINGS) else '; this deployment has no ratings'})")
    ratings = Ratings(ctx.client)
    return {"items": [present_rating(r) for r in ratings.ratings(model_id, page.offset, page.limit)],
            "total": ratings.rater_count(model_id), "limit": page.limit, "offset": page.offset,
            "summary": present_summary(ratings.summary(model_id))}


def present_summary(summary: SummaryView) -> RatingSummary:
    shown = summary.shown
    return {"shown": None if shown is None else shown[0], "shown_source": None if shown is None else shown[1],
            "verified_average": summary.verified_average, "verified_count": summary.verified_count,
            "verified_weight_bps": summary.verified_weight, "staked_average": summary.staked_average,
            "staked_count": summary.staked_count, "total_stake": str(summary.total_stake)}


def present_rating(rating: RatingView) -> Rating:
    return {"rater": rating.rater, "stars": rating.stars, "verified": rating.use_weight_bps > 0,
            "use_weight_bps": rating.use_weight_bps, "stake": str(rating.stake), "review_uri": rating.review_uri,
            "updated_at": rating.updated_at, "locked_until": rating.locked_until}


__all__ = ["list_ratings", "present_rating", "present_summary", "rating_summary"]
