"""The API's Flask blueprints, one per resource; `create_app` registers BLUEPRINTS.

Views only parse request input (`nnc.api.validation`) and call the services (`nnc.api.tasks`,
`nnc.api.nodes`, ...), which return the typed bodies of `nnc.api.responses`.
"""

from nnc.api.blueprints.catalog import catalog
from nnc.api.blueprints.disputes import disputes
from nnc.api.blueprints.models import models
from nnc.api.blueprints.nodes import nodes
from nnc.api.blueprints.proposals import proposals
from nnc.api.blueprints.protocol import protocol
from nnc.api.blueprints.specs import specs
from nnc.api.blueprints.tasks import tasks
from nnc.api.blueprints.uploads import uploads

BLUEPRINTS = (tasks, nodes, disputes, proposals, uploads, specs, protocol, catalog, models)

__all__ = ["BLUEPRINTS"]
