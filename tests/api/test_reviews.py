"""Review documents read for the web app: within the size limit, as JSON or plain text; a rater
who points at a large file costs the server no more memory than a review."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nnc.api.reviews import fetch_review, review_text
from nnc.api.uploads import LIMITS
from nnc.storage import LocalStore


def test_a_review_over_the_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    big = tmp_path / "big"
    big.write_bytes(b"x" * (LIMITS["review"] + 1))
    with pytest.raises(ValueError, match=f"{LIMITS['review'] + 1} bytes, over the {LIMITS['review']}"):
        fetch_review(store, store.put_file(big))
    small = store.put_bytes(b"a fine model")
    assert review_text(fetch_review(store, small), 1) == "a fine model"


def test_a_json_review_must_name_its_model() -> None:
    document = json.dumps({"version": 1, "model": 2, "stars": 4, "review": "good"}).encode()
    with pytest.raises(ValueError, match="a review of model 2, not of model 3"):
        review_text(document, 3)
