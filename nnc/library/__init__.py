"""The model library in use: a registered model fetched and checked against its listed digest
(`fetch_library_model`), the files a task spec starting from one needs (`fetch_task_files`), and
a model loaded for predictions (`nnc.library.run`, which imports torch and the model's runtime).

The registry itself (listing, ownership, lineage) is `nnc.chain.models`; this package is what a
node, a verifier, the oracle and the CLI do with its entries.
"""

from nnc.library.fetch import (
    LibraryModel,
    LibraryModelError,
    check_base_model,
    fetch_base_model,
    fetch_library_model,
    fetch_task_files,
    model_spec,
)

__all__ = ["LibraryModel", "LibraryModelError", "check_base_model", "fetch_base_model", "fetch_library_model",
           "fetch_task_files", "model_spec"]
