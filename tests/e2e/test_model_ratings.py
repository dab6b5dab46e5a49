"""The model library's listing and ratings on a real devnet: a task trained by a real worker and
settled is listed by the oracle with its provenance (a co-funded one owned by its funders by
contribution); a fine-tune of it by another requester is listed with its parent and recorded as
a use, so that requester rates as a verified user; a staker rates; a Sybil flood does not move
the shown (verified) rating; the CLI and the API show both averages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account

from nnc.chain.artifacts import Artifacts
from nnc.chain.client import ChainClient, connect_web3
from nnc.chain.deploy import NNT
from nnc.chain.models import ModelMetadata, Models, Visibility
from nnc.chain.ratings import Ratings
from nnc.devnet import ORACLE, REQUESTER, Devnet
from nnc.errors import ContractRevertError
from nnc.oracle.library import Librarian, library_metadata
from nnc.task import BaseModelSpec, load_spec, parse_spec
from nnc.task.publish import PublishOptions, publish_task, published_spec
from tests.e2e.harness import TINY_SPEC, Network, advance_time, make_network

USER = 7  # a second requester: pays for a task that uses the model (a free devnet account)
STAKER = 8
SYBILS = 10


def _library_spec(**library: str) -> bytes:
    spec = json.loads(TINY_SPEC.read_text())
    spec["library"] = library
    return json.dumps(spec).encode()


def _fresh_client(chain: Devnet) -> ChainClient:
    """A client for a brand-new address with gas money: what a Sybil costs to make."""
    account = Account.create()
    w3 = connect_web3(chain.rpc_url)
    w3.provider.make_request("anvil_setBalance", [account.address, hex(10**18)])  # type: ignore[arg-type]
    return ChainClient(w3, Artifacts(), chain.deployment, account)


def _settled_model(chain: Devnet, tmp_path: Path) -> tuple[Network, int, int]:
    """A task of the requester trained and settled, listed by the oracle: (network, task, model)."""
    net = make_network(chain, tmp_path, chain.node_indices()[:1])
    spec = parse_spec(_library_spec(licence="MIT", domain="vision", visibility="public"))
    task_id = net.publish(spec, replication=1)
    net.settle(task_id)
    assert net.oracle.library is not None
    assert (task_id, "register_model") in net.oracle.library.catalogue()
    model_id = Models(chain.client(REQUESTER)).model_of_task(task_id)
    assert model_id is not None
    return net, task_id, model_id


def test_the_oracle_lists_a_settled_tasks_model_with_its_provenance_once(chain: Devnet, tmp_path: Path) -> None:
    net, task_id, model_id = _settled_model(chain, tmp_path)
    models = Models(chain.client(REQUESTER))
    model, task = models.model(model_id), net.market().task(task_id)
    revealed = net.market().revealed_results(task_id)
    assert (model.task_id, model.verified, model.parent_id) == (task_id, True, 0)
    assert model.model_digest == task.result_digest and model.spec_digest == task.spec_digest
    assert model.metadata.model_uri == revealed[0][1]
    assert (model.metadata.licence, model.metadata.domain, model.visibility) == ("MIT", "vision", Visibility.PUBLIC)
    assert model.metadata.spec_uri == net.market().published_event(task_id)["specURI"]
    assert (model.metadata.framework, model.metadata.metric) == ("torch", "accuracy")
    assert model.registrant == chain.address(ORACLE)
    owners = [(o.account, o.share_bps) for o in models.owners_of(model_id)]
    assert owners == [(chain.address(REQUESTER), 10_000)], "the requester owns it, not the oracle"

    # idempotent: again, and after a restart (a fresh librarian), nothing is sent
    assert net.oracle.library is not None and net.oracle.library.catalogue() == []
    restarted = Librarian(net.oracle.client, net.oracle.market, net.oracle.index, net.store, net.oracle.context)
    assert restarted.catalogue() == []
    assert models.count() == 1


def test_a_requester_who_lists_first_wins_and_defaults_apply(chain: Devnet, tmp_path: Path) -> None:
    net = make_network(chain, tmp_path, chain.node_indices()[:1])
    first = net.publish(replication=1)  # no library section: UNLICENSED, public
    net.settle(first)
    second = net.publish(replication=1)
    net.settle(second)
    models = Models(chain.client(REQUESTER))
    spec_uri, spec = published_spec(net.market(), net.store, first)
    metadata: ModelMetadata = library_metadata(spec, spec_uri, "local://my-copy")[0]
    mine = models.register_from_task(first, metadata)
    assert net.oracle.library is not None
    assert net.oracle.library.catalogue() == [(second, "register_model")], "the requester's listing stands"
    assert models.model_of_task(first) == mine and models.model(mine).registrant == chain.address(REQUESTER)
    listed = models.model(models.model_of_task(second) or 0)
    assert (listed.metadata.licence, listed.metadata.domain, listed.visibility) == ("UNLICENSED", "",
                                                                                     Visibility.PUBLIC)


def test_the_oracle_records_a_fine_tunes_use_and_lists_the_child_with_its_parent(chain: Devnet,
                                                                                  tmp_path: Path) -> None:
    net, _, parent = _settled_model(chain, tmp_path)
    tiny = load_spec(TINY_SPEC)
    child_spec = tiny.model_copy(update={
        "name": "tiny digits MLP, fine-tuned by another requester", "base_model": BaseModelSpec(id=parent),
        "training": tiny.training.model_copy(update={"seed": 11, "steps": 20, "checkpoint_interval": 10})})
    child_task, _ = publish_task(chain.client(USER), net.store, child_spec,
                                 PublishOptions(budget=10**17, collateral=10 * NNT, deadline=600))
    net.settle(child_task)
    assert net.oracle.library is not None
    assert net.oracle.library.catalogue() == [(child_task, "register_model"), (child_task, "record_use")]

    models, ratings = Models(chain.client(USER)), Ratings(chain.client(USER))
    child = models.model_of_task(child_task)
    assert child is not None and models.model(child).parent_id == parent and models.lineage(child) == [parent]
    assert [(o.account, o.share_bps) for o in models.owners_of(child)] == [(chain.address(USER), 10_000)]
    assert ratings.use_of_task(child_task) == parent
    assert ratings.use_weight_of(parent, chain.address(USER)) == 10_000, "the fine-tuner paid: a verified user"
    ratings.rate(parent, 4, "")  # no stake needed
    assert ratings.summary(parent).shown == (4.0, "verified")
    assert Librarian(net.oracle.client, net.oracle.market, net.oracle.index, net.store,
                     net.oracle.context).catalogue() == [], "after a restart: nothing twice"


def test_a_cofunded_tasks_model_belongs_to_its_funders_by_contribution(chain: Devnet, tmp_path: Path) -> None:
    from nnc.chain.funding import CoFunding
    from nnc.task.cofund import CofundOptions, open_cofunded_task

    net = make_network(chain, tmp_path, chain.node_indices()[:1])
    options = CofundOptions(task=PublishOptions(budget=10**18, replication=1, collateral=10 * NNT, apply_window=60,
                                                deadline=600), amount=6 * 10**17, funding_window=40)
    pool, _ = open_cofunded_task(chain.client(REQUESTER), net.store, load_spec(TINY_SPEC), options)
    CoFunding(chain.client(USER)).contribute(pool, 3 * 10**17 + 1)
    CoFunding(chain.client(STAKER)).contribute(pool, 10**17 - 1)
    task_id = CoFunding(chain.client(USER)).publish(pool)
    net.settle(task_id)
    assert net.oracle.library is not None
    assert net.oracle.library.catalogue() == [(task_id, "register_model")]
    models = Models(chain.client(REQUESTER))
    model_id = models.model_of_task(task_id)
    assert model_id is not None
    # 6000 bps, floor(3000.001) = 3000, floor(999.999) = 999, the remainder to the largest contributor
    assert [(o.account, o.share_bps) for o in models.owners_of(model_id)] == [
        (chain.address(REQUESTER), 6001), (chain.address(USER), 3000), (chain.address(STAKER), 999)]
    assert chain.deployment is not None
    assert models.co_funding_factory() == chain.deployment.address_of("CoFundingFactory"), "named at deploy"
    with pytest.raises(ContractRevertError) as err:  # a funder owns a share: it does not rate the model
        Ratings(chain.client(STAKER)).rate(model_id, 5)
    assert err.value.name == "OwnerCannotRate"


def test_verified_user_and_staker_rate_and_a_sybil_flood_leaves_the_shown_rating(chain: Devnet,
                                                                                 tmp_path: Path) -> None:
    net, _, model_id = _settled_model(chain, tmp_path)
    # a settled task of another requester that used the model (as a fine-tune's base would)
    use_task, _ = publish_task(chain.client(USER), net.store, parse_spec(TINY_SPEC.read_bytes()),
                               PublishOptions(budget=10**17, collateral=10 * NNT, deadline=600))
    net.settle(use_task)
    oracle = Ratings(chain.client(ORACLE))
    with pytest.raises(ContractRevertError) as err:  # recording is the oracle's role only
        Ratings(chain.client(USER)).record_use(model_id, use_task)
    assert "AccessControlUnauthorizedAccount" in str(err.value.name)
    oracle.record_use(model_id, use_task)
    assert oracle.use_weight_of(model_id, chain.address(USER)) == 10_000
    with pytest.raises(ContractRevertError) as err:
        oracle.record_use(model_id, use_task)
    assert err.value.name == "UseAlreadyRecorded"

    # the verified user rates with a review stored on the network's storage, no stake
    review = net.store.put_bytes(b"# Works well on digits\n4/5: fast to fine-tune.")
    user = Ratings(chain.client(USER))
    user.rate(model_id, 4, review)
    rating = user.rating_of(model_id, chain.address(USER))
    assert rating is not None and (rating.stars, rating.stake, rating.review_uri) == (4, 0, review)
    assert net.store.get_bytes(rating.review_uri).startswith(b"# Works well")

    # the owner cannot rate its own model; a staker can, with the least stake
    with pytest.raises(ContractRevertError) as err:
        Ratings(chain.client(REQUESTER)).rate(model_id, 5)
    assert err.value.name == "OwnerCannotRate"
    minimum = oracle.min_rating_stake()
    token = chain.client(REQUESTER).contract("NNToken")
    chain.client(REQUESTER).transact(token.functions.transfer(chain.address(STAKER), 100 * minimum))
    staker = Ratings(chain.client(STAKER))
    staker.rate(model_id, 2, "", 3 * minimum)
    summary = staker.summary(model_id)
    assert (summary.verified_average, summary.staked_average) == (4.0, 2.0)
    assert summary.shown == (4.0, "verified")
    before = summary

    # a flood of fresh addresses rating 1 star: without a stake each reverts; with one, only the
    # stake-weighted average moves, in proportion to the stake, and the shown rating not at all
    sybils = [_fresh_client(chain) for _ in range(SYBILS)]
    for sybil in sybils:
        with pytest.raises(ContractRevertError) as err:
            Ratings(sybil).rate(model_id, 1)
        assert err.value.name == "StakeTooLow"
        chain.client(REQUESTER).transact(token.functions.transfer(sybil.address, minimum))
        Ratings(sybil).rate(model_id, 1, "", minimum)
    after = staker.summary(model_id)
    assert after.shown == before.shown == (4.0, "verified")
    assert (after.verified_count, after.verified_weight, after.verified_stars) == (
        before.verified_count, before.verified_weight, before.verified_stars)
    assert after.total_stake == 3 * minimum + SYBILS * minimum
    assert after.staked_average == pytest.approx((2 * 3 + 1 * SYBILS) / (3 + SYBILS))
    assert len(staker.ratings(model_id)) == 2 + SYBILS


def test_a_stake_comes_back_only_after_its_lock(chain: Devnet, tmp_path: Path) -> None:
    _, _, model_id = _settled_model(chain, tmp_path)
    staker = Ratings(chain.client(STAKER))
    minimum = staker.min_rating_stake()
    requester = chain.client(REQUESTER)
    requester.transact(requester.contract("NNToken").functions.transfer(chain.address(STAKER), minimum))
    staker.rate(model_id, 3, "", minimum)
    with pytest.raises(ContractRevertError) as err:
        staker.withdraw(model_id)
    assert err.value.name == "StakeLocked"
    advance_time(chain, staker.rating_lock_period())
    staker.withdraw(model_id)
    assert staker.withdrawable(chain.address(STAKER)) == minimum
    nnt = chain.client(STAKER).contract("NNToken").functions
    before = nnt.balanceOf(chain.address(STAKER)).call()
    staker.claim_stake()
    assert nnt.balanceOf(chain.address(STAKER)).call() == before + minimum


def test_the_cli_rates_and_the_api_shows_both_averages(chain: Devnet, tmp_path: Path) -> None:
    from click.testing import CliRunner, Result

    from nnc.api import ApiContext, create_app
    from nnc.cli import cli
    from nnc.storage import LocalStore
    from tests.api.test_api import error, ok
    from tests.e2e.harness import settings_for

    net, _, model_id = _settled_model(chain, tmp_path)
    use_task, _ = publish_task(chain.client(USER), net.store, parse_spec(TINY_SPEC.read_bytes()),
                               PublishOptions(budget=10**17, collateral=10 * NNT, deadline=600))
    net.settle(use_task)
    Ratings(chain.client(ORACLE)).record_use(model_id, use_task)
    requester = chain.client(REQUESTER)
    requester.transact(requester.contract("NNToken").functions.transfer(chain.address(STAKER), 50 * NNT))

    def invoke(account: int, *args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env={
            "NNC_CONFIG": str(tmp_path / "absent.toml"), "NNC_RPC_URL": chain.rpc_url,
            "NNC_DEPLOYMENT_FILE": str(chain.deployment_file), "NNC_KEY_FILE": str(chain.key_file(account)),
            "NNC_STORAGE_URL": f"local://{tmp_path / 'store'}", "NNC_DATA_DIR": str(tmp_path / "cli"),
            "NNC_PRIVATE_KEY": None})

    def nnc(account: int, *args: str) -> str:
        result = invoke(account, *args)
        assert result.exit_code == 0, f"{result.output}{result.exception!r}"
        return result.stdout

    review = tmp_path / "review.md"
    review.write_text("Good digits classifier; fine-tuned well.")
    out = nnc(USER, "model", "rate", str(model_id), "--stars", "5", "--review", str(review))
    assert f"model {model_id}: rated 5/5 as a verified user, review local://" in out
    assert "5.00/5 (verified)" in out
    unstaked = invoke(STAKER, "model", "rate", str(model_id), "--stars", "2")
    assert unstaked.exit_code == 2 and "is no verified user of model" in unstaked.output
    assert "at least 10 NNT more" in unstaked.output
    out = nnc(STAKER, "model", "rate", str(model_id), "--stars", "2", "--stake", "20")
    assert "as a staker, 20 NNT staked until" in out
    shown = nnc(STAKER, "model", "show", str(model_id))
    assert "rating        5.00/5 (verified)" in shown
    assert "verified    5.00/5 from 1 verified user" in shown
    assert "staked      2.00/5 from 1 staked rating (20 NNT)" in shown
    owner = invoke(REQUESTER, "model", "rate", str(model_id), "--stars", "5")
    assert owner.exit_code == 2 and "owners do not rate their own model" in owner.output

    context = ApiContext.from_settings(settings_for(chain, tmp_path / "api", 0), store=LocalStore(tmp_path / "store"))
    api = create_app(context).test_client()
    detail = ok(api, f"/api/models/{model_id}", "ModelDetail")
    assert detail["domain"] == "vision" and detail["licence"] == "MIT"
    assert detail["ratings"] == {"shown": 5.0, "shown_source": "verified", "verified_average": 5.0,
                                 "verified_count": 1, "verified_weight_bps": 10_000, "staked_average": 2.0,
                                 "staked_count": 1, "total_stake": str(20 * NNT)}
    page = ok(api, f"/api/models/{model_id}/ratings", "RatingList")
    assert page["total"] == 2 and page["summary"] == detail["ratings"]
    by_rater = {r["rater"]: r for r in page["items"]}
    user, staker = by_rater[chain.address(USER)], by_rater[chain.address(STAKER)]
    assert (user["stars"], user["verified"], user["stake"]) == (5, True, "0")
    assert net.store.get_bytes(user["review_uri"]) == review.read_bytes()
    assert (staker["stars"], staker["verified"], staker["stake"]) == (2, False, str(20 * NNT))
    assert [r["rater"] for r in ok(api, f"/api/models/{model_id}/ratings?offset=1", "RatingList")["items"]] == [
        chain.address(STAKER)]
    error(api.get("/api/models/99/ratings"), 404, r"unknown model 99")
    error(api.get(f"/api/models/{model_id}/ratings?limit=0"), 400, "limit")
