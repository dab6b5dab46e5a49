"""The JSON API and the web app's server: `create_app(context)` and `ApiServer`.

Resources: tasks (list, detail, audit trace), nodes, disputes and proposals, uploads to storage,
protocol parameters and the deployment. Reads come from the oracle's index and the contracts;
the API never signs a transaction.
"""

from nnc.api.app import create_app
from nnc.api.context import ApiContext
from nnc.api.server import ApiServer

__all__ = ["ApiContext", "ApiServer", "create_app"]
