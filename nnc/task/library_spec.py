"""A spec's optional `library` section: how the model library lists the task's model.

The oracle lists every settled, accepted task's model in the ModelRegistry (see
`nnc.oracle.library`) with these facts the chain cannot see. Absent, the defaults apply:

- `licence` "UNLICENSED": no licence granted (all rights reserved by the owners). A model is
  shared on the requester's terms only when the requester says so, never by default.
- `visibility` "public", or "sealed" for a private task (one with a `privacy` section): its model
  file is encrypted to the requester's key anyway.
- `domain` none ("").
"""

from __future__ import annotations

from typing import Final

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from nnc.chain.generated import ENUMS
from nnc.chain.model_domains import Domain
from nnc.task.model_specs import SpecSection

DEFAULT_LICENCE: Final = "UNLICENSED"
VISIBILITIES: Final = tuple(name.lower() for name in ENUMS["Visibility"])
"""`IModelRegistry.Visibility`, lower-case, from the contracts' mirror."""


class LibrarySpec(SpecSection):
    """How the task's model is listed in the model library."""

    licence: str = Field(default=DEFAULT_LICENCE, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9.+\-() ]+$",
                         description="an SPDX licence identifier or expression, e.g. Apache-2.0 (default UNLICENSED)")
    visibility: str | None = Field(
        default=None, description="public, or sealed to its owners (default: sealed for a private task)")
    domain: Domain | None = None

    @field_validator("visibility")
    @classmethod
    def _check_visibility(cls, value: str | None) -> str | None:
        if value is not None and value not in VISIBILITIES:
            raise PydanticCustomError("visibility", "must be one of {known}", {"known": ", ".join(VISIBILITIES)})
        return value
