"""The OpenAPI document's schemas are generated from the response types: valid OpenAPI 3.1, every
type present, enums taken from the contracts' mirrors, and they accept and refuse bodies as typed."""

from __future__ import annotations

from typing import Any, get_type_hints

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from nnc.api.openapi import openapi_document
from nnc.api.responses import RESPONSES
from nnc.chain.dispute import DisputeStatus
from nnc.chain.types import Bond, TaskStatus

DOC = openapi_document()
SCHEMAS = DOC["components"]["schemas"]


def problems(body: Any, schema: str) -> list[str]:
    registry: Registry = Registry().with_resource("urn:doc", Resource.from_contents(DOC, DRAFT202012))
    validator = Draft202012Validator({"$ref": f"urn:doc#/components/schemas/{schema}"}, registry=registry)
    return [e.message for e in validator.iter_errors(body)]


def test_the_document_is_valid_and_has_a_schema_for_every_response_type() -> None:
    validate_openapi(DOC)
    for response in RESPONSES:
        schema = SCHEMAS[response.__name__]
        assert set(schema["properties"]) == set(get_type_hints(response)), response.__name__


def test_enums_are_the_contracts_member_names() -> None:
    names = [s.name.lower() for s in TaskStatus if s != TaskStatus.NONE]
    assert SCHEMAS["Task"]["properties"]["status"]["enum"] == names
    assert SCHEMAS["TaskNode"]["properties"]["bond"]["enum"] == [b.name.lower() for b in Bond]
    assert SCHEMAS["Dispute"]["properties"]["status"]["enum"] == ["open", "slashed", "released"]
    assert len(DisputeStatus) == 4  # NONE is never a dispute's status
    status_param = next(p for p in DOC["paths"]["/api/tasks"]["get"]["parameters"] if p["name"] == "status")
    assert status_param["schema"]["enum"] == names


def test_bodies_are_checked_as_typed() -> None:
    health = {"ok": True, "chain_id": 31337, "block": 9, "indexed_block": 8}
    assert problems(health, "Health") == []
    assert problems({**health, "block": "9"}, "Health")
    assert problems({k: v for k, v in health.items() if k != "ok"}, "Health")
    error = {"error": {"status": 404, "code": "not_found", "message": "no"}}
    assert problems(error, "Error") == []
    assert problems({**error, "extra": 1}, "Error")  # errors are closed objects
    votes = {"slash": "10", "release": "0"}
    dispute = {"id": "1", "contract": "Arbitration", "task_id": 3, "node": None, "opened_block": 5, "status": "open",
               "evidence": [], "votes": votes, "events": []}
    assert problems(dispute, "Dispute") == []
    assert problems({**dispute, "status": "resolved"}, "Dispute")
    assert problems({**dispute, "votes": {**votes, "slash": "1e3"}}, "Dispute")
    upload = {"kind": "dataset", "uri": "local://x", "sha256": "ab" * 32, "size": 3}
    assert problems(upload, "Upload") == []  # the per-kind keys are optional
    assert problems({**upload, "kind": "model"}, "Upload")
