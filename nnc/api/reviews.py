"""The review documents of a model's live ratings, read from storage for the web app (a browser
cannot read ipfs:// or ar:// URIs itself). Only the review URIs raters put on chain are read. A
review is the JSON document the web app uploads (`nnc.api.uploads.parse_review`; it must name this
model) or plain UTF-8 text (what `nnc model rate --review FILE` uploads); one that is missing, too
large or neither is reported with its problem instead of its text."""

from __future__ import annotations

import tempfile
from pathlib import Path

from nnc.api.context import ApiContext
from nnc.api.errors import ApiError
from nnc.api.model_files import check_model_id
from nnc.api.responses.models import Review, ReviewList
from nnc.api.uploads import LIMITS, parse_review
from nnc.api.validation import Page
from nnc.chain.ratings import Ratings, RatingView
from nnc.errors import NNCError
from nnc.storage import Store

RATINGS = "ModelRatings"


def list_reviews(ctx: ApiContext, model_id: int, page: Page) -> ReviewList:
    """The reviews of the live ratings among raters `page.offset`.. (empty without a ratings contract)."""
    check_model_id(ctx, model_id)
    if not ctx.has(RATINGS):
        return {"items": [], "limit": page.limit, "offset": page.offset}
    ratings = Ratings(ctx.client).ratings(model_id, page.offset, page.limit)
    return {"items": [read_review(ctx.store, model_id, r) for r in ratings if r.review_uri],
            "limit": page.limit, "offset": page.offset}


def read_review(store: Store, model_id: int, rating: RatingView) -> Review:
    review: Review = {"rater": rating.rater, "stars": rating.stars, "review_uri": rating.review_uri,
                      "review": None, "problem": None}
    try:
        review["review"] = review_text(fetch_review(store, rating.review_uri), model_id)
    except (NNCError, ValueError) as exc:  # ApiError included: parse_review's refusal
        review["problem"] = str(exc) if isinstance(exc, (ApiError, ValueError)) else f"not readable: {exc}"
    return review


def fetch_review(store: Store, uri: str) -> bytes:
    """The review document at `uri`, streamed to a temporary file (constant memory, whatever a
    rater points at) and read only when it is within the review size limit."""
    with tempfile.TemporaryDirectory(prefix="nnc-review-") as folder:
        path = store.get_file(uri, Path(folder) / "review")
        size = path.stat().st_size
        if size > LIMITS["review"]:
            raise ValueError(f"{size} bytes, over the {LIMITS['review']} a review may hold")
        return path.read_bytes()


def review_text(data: bytes, model_id: int) -> str:
    """The text of a review document: a JSON review of `model_id`, or plain UTF-8 text."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("a review document must be UTF-8 text or a JSON review") from None
    if not text.lstrip().startswith("{"):
        return text
    document = parse_review(data)
    if document["model"] != model_id:
        raise ValueError(f"a review of model {document['model']}, not of model {model_id}")
    return str(document["review"])


__all__ = ["fetch_review", "list_reviews", "read_review", "review_text"]
