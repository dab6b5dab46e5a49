"""The model library's off-chain rules: the spec's `library` section and its defaults, what the
oracle lists for a task, which model a spec uses, and which rating the library shows."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest

from nnc.chain.model_domains import DOMAINS, check_domain
from nnc.chain.models import ModelMetadata, Visibility
from nnc.chain.ratings import RatingSummary
from nnc.errors import ChainError, TaskSpecError
from nnc.oracle.library import is_inference, library_metadata, used_model
from nnc.paths import REPO_ROOT
from nnc.task import TaskSpec, canonical_json, parse_spec, spec_digest
from nnc.task.library_spec import DEFAULT_LICENCE

TINY_SPEC = REPO_ROOT / "tests" / "data" / "tiny-spec.json"


def _spec(**sections: Any) -> TaskSpec:
    document = json.loads(TINY_SPEC.read_text())
    document.update(sections)
    return parse_spec(document)


def test_a_spec_without_the_library_section_keeps_its_digest() -> None:
    plain = _spec()
    assert b"library" not in canonical_json(plain)
    listed = _spec(library={"licence": "MIT", "domain": "vision"})
    assert spec_digest(listed) != spec_digest(plain)
    assert parse_spec(canonical_json(listed)) == listed


@pytest.mark.parametrize(("library", "problem"), [
    ({"domain": "smell"}, "library.domain"), ({"visibility": "hidden"}, "must be one of public, sealed"),
    ({"licence": ""}, "library.licence"), ({"licence": "MIT; rm -rf"}, "library.licence"),
    ({"owner": "me"}, "library.owner")])
def test_the_library_section_is_checked(library: dict[str, str], problem: str) -> None:
    with pytest.raises(TaskSpecError, match=problem):
        _spec(library=library)


def test_the_oracle_lists_with_the_specs_library_section_or_its_defaults() -> None:
    metadata, visibility = library_metadata(_spec(), "local://spec", "local://model")
    assert metadata == ModelMetadata(model_uri="local://model", licence=DEFAULT_LICENCE, framework="torch",
                                     metric="accuracy", spec_uri="local://spec",
                                     dataset_uri=_spec().dataset.uri or "")
    assert visibility == Visibility.PUBLIC and DEFAULT_LICENCE == "UNLICENSED"
    listed = _spec(library={"licence": "Apache-2.0", "domain": "vision", "visibility": "sealed"})
    metadata, visibility = library_metadata(listed, "local://spec", "local://model")
    assert (metadata.licence, metadata.domain, visibility) == ("Apache-2.0", "vision", Visibility.SEALED)
    private = _spec(privacy={"requester_key": "ab" * 32})
    assert library_metadata(private, "s", "m")[1] == Visibility.SEALED, "a private task's model is sealed"
    public = _spec(privacy={"requester_key": "ab" * 32}, library={"visibility": "public"})
    assert library_metadata(public, "s", "m")[1] == Visibility.PUBLIC, "unless the requester says otherwise"


def test_used_model_reads_a_base_model_or_an_inference_model() -> None:
    assert used_model(_spec()) is None
    assert used_model(SimpleNamespace(base_model=SimpleNamespace(id=3))) == 3  # type: ignore[arg-type]
    assert used_model(SimpleNamespace(inference=SimpleNamespace(model_id=5))) == 5  # type: ignore[arg-type]
    assert used_model(SimpleNamespace(base_model=SimpleNamespace(id=0))) is None  # type: ignore[arg-type]
    assert not is_inference(_spec()), "a training task's model is listed"
    assert is_inference(SimpleNamespace(inference=SimpleNamespace(model_id=5)))  # type: ignore[arg-type]


def test_domains_are_checked_off_chain() -> None:
    assert all(check_domain(d) == d for d in ("", *DOMAINS))
    with pytest.raises(ValueError, match="unknown model domain 'smell'"):
        check_domain("smell")
    with pytest.raises(ChainError, match="unknown model domain"):
        ModelMetadata(model_uri="m", licence="MIT", domain="smell").as_tuple()


def test_the_shown_rating_is_the_verified_average_when_there_is_one() -> None:
    nothing = RatingSummary(0, 0, 0, 0, 0, 0)
    assert nothing.shown is None and nothing.verified_average is None and nothing.staked_average is None
    staked = RatingSummary(0, 2, 0, 0, 30, 90)  # 3 stars by stake
    assert staked.shown == (3.0, "staked")
    both = RatingSummary(2, 2, 15_000, 60_000, 30, 30)  # verified 4 stars over 1.5 votes; staked 1 star
    assert both.shown == (4.0, "verified") and both.staked_average == 1.0
