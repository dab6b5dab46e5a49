"""The generated mirrors of the contracts' declarations (nnc.chain.mirrors): the checked-in files
match the build, `nnc build` writes them, and the typed Python views and the web app agree with
them. Reads build/contracts (which `make test` builds first): nothing is compiled here."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import re
from enum import IntEnum
from pathlib import Path

import pytest
from click.testing import CliRunner

from nnc.chain import mirrors
from nnc.chain.declarations import DECLARATIONS, extract_declarations
from nnc.chain.generated import CONSTANTS, ENUMS, ERRORS, STRUCTS
from nnc.chain.mirrors import load_declarations, mirror_files, render_javascript, render_python, stale_mirrors
from nnc.chain.profiles import PROFILES
from nnc.errors import ArtifactError
from nnc.paths import ARTIFACTS_DIR, REPO_ROOT

CHAIN_MODULES = sorted(p.stem for p in (REPO_ROOT / "nnc" / "chain").glob("*.py"))
KNOWN_COPIES: dict[Path, set[str]] = {}
"""Hand copies of an enum not yet replaced by the mirrors (file -> enums): each is a debt."""


def _upper_snake(member: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", member).upper()


def _snake(field: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", field).lower()


def test_checked_in_mirrors_match_the_build() -> None:
    stale = stale_mirrors()
    assert not stale, (f"{', '.join(str(p.relative_to(REPO_ROOT)) for p in stale)} no longer match(es) the "
                       "compiled contracts: run `nnc build` and commit the result")


def test_a_mirror_edited_by_hand_is_stale(tmp_path: Path) -> None:
    files = mirror_files(root=tmp_path)
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert stale_mirrors(root=tmp_path) == []
    python = tmp_path / mirrors.PYTHON_MIRROR
    python.write_text(python.read_text().replace('"Verifying", ', ""))
    assert stale_mirrors(root=tmp_path) == [python]
    (tmp_path / mirrors.JAVASCRIPT_MIRROR).unlink()
    assert stale_mirrors(root=tmp_path) == [python, tmp_path / mirrors.JAVASCRIPT_MIRROR]


def test_nnc_build_writes_the_mirrors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nnc.cli import cli

    monkeypatch.setattr(mirrors, "MIRRORS_ROOT", tmp_path)
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 0, result.output
    for path, text in mirror_files(root=tmp_path).items():
        assert path.read_text() == text
        assert f"wrote {path}" in result.output
    python = tmp_path / mirrors.PYTHON_MIRROR
    python.write_text("# edited by hand\n")
    checked = CliRunner().invoke(cli, ["build", "--check"])  # as `make test`: names it, leaves it
    assert isinstance(checked.exception, ArtifactError) and str(python) in str(checked.exception)
    assert python.read_text() == "# edited by hand\n"
    again = CliRunner().invoke(cli, ["build"])
    assert again.exit_code == 0 and f"wrote {python}" in again.output
    assert str(tmp_path / mirrors.JAVASCRIPT_MIRROR) not in again.output  # unchanged: not rewritten
    assert stale_mirrors(root=tmp_path) == []
    assert CliRunner().invoke(cli, ["build", "--check"]).exit_code == 0


def test_the_mirrors_are_rendered_from_the_declarations_of_the_build() -> None:
    declarations = load_declarations()
    assert declarations == json.loads((ARTIFACTS_DIR / DECLARATIONS).read_text())
    namespace: dict[str, object] = {}
    exec(compile(render_python(declarations), "generated.py", "exec"), namespace)  # noqa: S102
    assert namespace["ENUMS"] == ENUMS and namespace["CONSTANTS"] == CONSTANTS
    javascript = render_javascript(declarations)
    assert "TaskStatus: Object.freeze([" in javascript and "'Verifying'" in javascript
    assert "InvalidStatus: Object.freeze([" in javascript and "enum: 'TaskStatus'" in javascript


def test_the_declarations_cover_the_protocol() -> None:
    assert ENUMS["TaskStatus"][:2] == ("None", "Published") and "Verifying" in ENUMS["TaskStatus"]
    for name in ("Bond", "Ineligibility", "QualitySource", "AbandonReason", "CheckStatus", "DisputeStatus",
                 "DrawState", "Outcome", "ProposalState"):
        assert ENUMS[name], name
    assert [(a.name, a.enum) for a in ERRORS["NotEligible"]] == [("taskId", None), ("node", None),
                                                                 ("reason", "Ineligibility")]
    assert all(a.enum in ENUMS for args in ERRORS.values() for a in args if a.enum)
    assert [f for f, _ in STRUCTS["IMarketConfig.SettlementParams"]][:4] == [
        "baseWeightBps", "qualityWeightBps", "reputationWeightBps", "protocolFeeBps"]
    assert CONSTANTS["SettlementMath.BPS"] == 10_000 and CONSTANTS["MarketConfig.MAX_WINDOW"] == 30 * 86400
    assert CONSTANTS["TaskMarket.QUALITY_UNSCORED"] == CONSTANTS["TaskPublishing.QUALITY_UNSCORED"]


def test_two_enums_of_one_name_are_refused() -> None:
    """Clients know enums by name (the ABI's `enum ITaskMarket.TaskStatus` -> TaskStatus): a second
    enum of the same name in another contract would be decoded with the wrong members."""
    def source(contract: str, members: list[str]) -> dict[str, object]:
        enum = {"nodeType": "EnumDefinition", "name": "Status", "canonicalName": f"{contract}.Status",
                "members": [{"nodeType": "EnumValue", "name": m} for m in members]}
        return {"ast": {"nodeType": "SourceUnit", "nodes": [
            {"nodeType": "ContractDefinition", "id": len(contract), "name": contract, "nodes": [enum]}]}}

    output = {"sources": {"A.sol": source("A", ["None", "Open"]), "B.sol": source("B", ["Open", "Closed"])}}
    with pytest.raises(ArtifactError, match="two enums are named Status"):
        extract_declarations(output, {"A.sol", "B.sol"})
    same = {"sources": {"A.sol": source("A", ["None", "Open"])}}
    assert extract_declarations(same, {"A.sol"})["enums"] == {
        "Status": {"declared_in": "A.Status", "members": ["None", "Open"]}}


def _python_enum_mirrors() -> list[tuple[type[IntEnum], str]]:
    """Every IntEnum of nnc.chain whose docstring says which contract enum it mirrors."""
    found = []
    for module_name in CHAIN_MODULES:
        module = importlib.import_module(f"nnc.chain.{module_name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            match = re.match(r"Mirrors `\w+\.(\w+)`", cls.__doc__ or "")
            if issubclass(cls, IntEnum) and cls.__module__ == module.__name__ and match:
                found.append((cls, match.group(1)))
    return found


def test_the_python_enums_match_the_contracts() -> None:
    found = _python_enum_mirrors()
    assert {name for _, name in found} >= {"TaskStatus", "Bond", "Ineligibility", "AbandonReason", "CheckStatus",
                                           "DisputeStatus", "DrawState", "Visibility", "PoolStatus",
                                           "BookStatus", "RoundStatus", "CommitState"}
    for cls, name in found:
        assert [(m.name, m.value) for m in cls] == [(_upper_snake(m), i) for i, m in enumerate(ENUMS[name])], (
            f"{cls.__module__}.{cls.__qualname__} differs from the contracts' {name}")


def test_the_struct_views_match_the_contracts() -> None:
    from nnc.chain.dispute import CheckView
    from nnc.chain.funding import PoolTerms
    from nnc.chain.models import ModelMetadata, ModelOwner, ModelView
    from nnc.chain.ratings import RatingSummary, RatingView
    from nnc.chain.rounds import BookView, CommitmentView, ParticipantView, RoundView
    from nnc.chain.types import MarketParams, NodeView, ParticipationView, SettlementParams, TaskView

    views = [(TaskView, "ITaskMarket.Task", 1), (ParticipationView, "ITaskMarket.Participation", 0),
             (SettlementParams, "IMarketConfig.SettlementParams", 0), (MarketParams, "IMarketConfig.Params", 0),
             (NodeView, "INodeRegistry.Node", 1), (CheckView, "ISpotCheck.Check", 0),
             (ModelView, "IModelRegistry.Model", 1), (ModelMetadata, "IModelRegistry.Metadata", 0),
             (ModelOwner, "IModelRegistry.Owner", 0), (PoolTerms, "ICoFundingPool.Terms", 0),
             (RatingView, "IModelRatings.Rating", 1), (RatingSummary, "IModelRatings.Summary", 0),
             (BookView, "IRoundBook.Book", 1), (RoundView, "IRoundBook.Round", 1),
             (ParticipantView, "IRoundBook.Participant", 0), (CommitmentView, "IRoundBook.Commitment", 0)]
    for view, struct, keys in views:  # a view may start with the key it was read by (task id, address)
        fields = [f.name for f in dataclasses.fields(view)][keys:]
        assert fields == [_snake(f) for f, _ in STRUCTS[struct]], f"{view.__name__} differs from {struct}"


def test_the_deploy_profiles_respect_the_contracts_bounds() -> None:
    for name, params in PROFILES.items():
        assert params.protocol_fee_bps <= CONSTANTS["MarketConfig.MAX_FEE_BPS"], name
        assert params.abandon_penalty_bps <= CONSTANTS["MarketConfig.MAX_ABANDON_PENALTY_BPS"], name
        assert (CONSTANTS["ModelRatings.MIN_STAKE_FLOOR"] <= params.min_rating_stake
                <= CONSTANTS["ModelRatings.MAX_STAKE_CEILING"]), name
        assert (CONSTANTS["ModelRatings.MIN_LOCK_PERIOD"] <= params.rating_lock_period
                <= CONSTANTS["ModelRatings.MAX_LOCK_PERIOD"]), name


def _hand_copies(text: str) -> set[str]:
    """The enums of which `text` spells four members in a row (all, for shorter enums) as quoted strings."""
    found = set()
    for name, members in ENUMS.items():
        run = min(4, len(members))
        for i in range(len(members) - run + 1):
            pattern = r"\s*,\s*".join(rf"['\"]{m}['\"]" for m in members[i:i + run])
            if re.search(pattern, text, re.IGNORECASE):
                found.add(name)
                break
    return found


def test_no_enum_is_copied_by_hand() -> None:
    generated = {REPO_ROOT / mirrors.PYTHON_MIRROR, REPO_ROOT / mirrors.JAVASCRIPT_MIRROR}
    files = [*(REPO_ROOT / "nnc").rglob("*.py"), *(REPO_ROOT / "frontend" / "js").rglob("*.js")]
    copies = {path.relative_to(REPO_ROOT): found for path in files if path not in generated
              for found in [_hand_copies(path.read_text())] if found}
    assert copies == KNOWN_COPIES, "import the enums from nnc.chain.generated or frontend/js/generated/protocol.js"
    assert _hand_copies("const S = ['none', 'published', 'assigned', 'running'];") == {"TaskStatus"}
