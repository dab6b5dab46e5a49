"""Templates and runtimes for the publish page: the example specs shipped in `examples/`, and the
training frameworks this API server has installed (what its dry run can time)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Final

from nnc.api.responses import RuntimeList, Template, TemplateList
from nnc.errors import TaskSpecError
from nnc.paths import REPO_ROOT
from nnc.runtimes import RUNTIMES, installed_runtimes
from nnc.task import compute_units, parse_spec

log = logging.getLogger(__name__)

EXAMPLES_DIR: Final = REPO_ROOT / "examples"


def list_templates(directory: Path = EXAMPLES_DIR) -> TemplateList:
    """Every `*.json` spec in `directory` that validates, by file name, with the figures a picker
    shows and the spec as written (the file's JSON, not its canonical form). Files that do not
    read or validate are skipped and logged."""
    installed = set(installed_runtimes())
    items: list[Template] = []
    for path in sorted(directory.glob("*.json")):
        try:
            raw = path.read_bytes()
            spec = parse_spec(raw, source=path.name)
        except OSError as exc:
            log.warning("templates: cannot read %s: %s", path, exc.strerror or exc)
            continue
        except TaskSpecError as exc:
            log.warning("templates: skipping %s, it does not validate: %s", path, exc)
            continue
        items.append({"id": path.name, "name": spec.name, "framework": spec.framework,
                      "model_kind": spec.model.kind, "dataset": spec.dataset.name,
                      "compute_units": compute_units(spec), "runtime_installed": spec.framework in installed,
                      "spec": json.loads(raw)})
    return {"items": items}


def list_runtimes() -> RuntimeList:
    """The frameworks this server can train (and so time in a dry run), with package versions,
    and every framework a spec may name."""
    return {"items": [{"framework": name, "versions": RUNTIMES[name].versions()} for name in installed_runtimes()],
            "known": list(RUNTIMES)}
