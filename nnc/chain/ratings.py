"""Typed access to the ModelRatings contract: ratings and reviews of the model library's models.

Two kinds of rater (see `IModelRatings`): verified users, whose use of a model the oracle records
(`record_use`: a settled task that used the model as its base or inference model), rate without a
stake; anyone else stakes at least `min_rating_stake()` NNT on its rating, locked for
`rating_lock_period()` after its last change and pulled back after `withdraw` with `claim_stake`.
The library shows the verified users' average when there is one (`RatingSummary.shown`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web3 import Web3
from web3.types import TxReceipt

from nnc.chain.client import ChainClient

MAX_STARS = 5


@dataclass(frozen=True)
class RatingView:
    """`IModelRatings.Rating`: one address's rating of one model (stars 0: none)."""

    rater: str
    stars: int
    use_weight_bps: int  # its weight in the verified average (0: not a verified user)
    updated_at: int
    locked_until: int  # its stake stays until then
    stake: int  # NNT-wei: its weight in the stake-weighted average
    review_uri: str

    @classmethod
    def from_tuple(cls, rater: str, r: Any) -> RatingView:
        return cls(rater, int(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4]), str(r[5]))


@dataclass(frozen=True)
class RatingSummary:
    """`IModelRatings.Summary`: a model's two aggregates."""

    verified_count: int
    staked_count: int
    verified_weight: int  # sum of the verified raters' use weights (bps)
    verified_stars: int  # sum of stars x use weight
    total_stake: int  # NNT-wei
    staked_stars: int  # sum of stars x stake

    @classmethod
    def from_tuple(cls, s: Any) -> RatingSummary:
        return cls(*(int(v) for v in s))

    @property
    def verified_average(self) -> float | None:
        """The verified users' average in stars, weighted by use (None: no verified rating)."""
        return self.verified_stars / self.verified_weight if self.verified_weight else None

    @property
    def staked_average(self) -> float | None:
        """The stake-weighted average in stars (None: no staked rating)."""
        return self.staked_stars / self.total_stake if self.total_stake else None

    @property
    def shown(self) -> tuple[float, str] | None:
        """The rating the library shows and its source: the verified users' average when there
        is one ("verified"), else the stake-weighted one ("staked"); None: no rating."""
        if self.verified_average is not None:
            return self.verified_average, "verified"
        if self.staked_average is not None:
            return self.staked_average, "staked"
        return None


class Ratings:
    """The ModelRatings contract as seen by one account."""

    def __init__(self, client: ChainClient) -> None:
        self.client = client
        self.contract = client.contract("ModelRatings")

    def rate(self, model_id: int, stars: int, review_uri: str = "", add_stake: int = 0) -> TxReceipt:
        """Sets or changes this account's rating, adding `add_stake` NNT-wei to its stake
        (approved first); a verified user may rate with no stake."""
        if add_stake:
            token = self.client.contract("NNToken")
            self.client.transact(token.functions.approve(self.contract.address, add_stake),
                                 context="approve rating stake")
        return self.client.transact(self.contract.functions.rate(model_id, stars, review_uri, add_stake),
                                    context=f"rate model {model_id}")

    def withdraw(self, model_id: int) -> TxReceipt:
        """Withdraws this account's rating; its stake (once unlocked) becomes claimable."""
        return self.client.transact(self.contract.functions.withdrawRating(model_id),
                                    context=f"withdraw the rating of model {model_id}")

    def claim_stake(self) -> TxReceipt:
        return self.client.transact(self.contract.functions.claimStake(), context="claim rating stakes")

    def record_use(self, model_id: int, task_id: int) -> TxReceipt:
        """Records that the settled task `task_id` used `model_id` (REGISTRAR_ROLE: the oracle)."""
        return self.client.transact(self.contract.functions.recordUse(model_id, task_id),
                                    context=f"record task {task_id}'s use of model {model_id}")

    def rating_of(self, model_id: int, rater: str) -> RatingView | None:
        """`rater`'s live rating of the model, or None."""
        rater = Web3.to_checksum_address(rater)
        view = RatingView.from_tuple(rater, self.contract.functions.ratingOf(model_id, rater).call())
        return view if view.stars else None

    def summary(self, model_id: int) -> RatingSummary:
        return RatingSummary.from_tuple(self.contract.functions.summary(model_id).call())

    def ratings(self, model_id: int, offset: int = 0, limit: int = 100) -> list[RatingView]:
        """The live ratings of the model, first rater first, among raters `offset`.. (at most `limit`)."""
        raters = self.contract.functions.raters(model_id, offset, limit).call()
        return [r for r in (self.rating_of(model_id, str(a)) for a in raters) if r is not None]

    def rater_count(self, model_id: int) -> int:
        """How many addresses ever rated the model (live ratings or not)."""
        return int(self.contract.functions.raterCount(model_id).call())

    def use_weight_of(self, model_id: int, user: str) -> int:
        """`user`'s use weight for the model in basis points (0: not a verified user)."""
        return int(self.contract.functions.useWeightOf(model_id, Web3.to_checksum_address(user)).call())

    def use_of_task(self, task_id: int) -> int | None:
        """The model whose use `task_id` recorded, or None."""
        return int(self.contract.functions.useOfTask(task_id).call()) or None

    def withdrawable(self, rater: str) -> int:
        return int(self.contract.functions.withdrawable(Web3.to_checksum_address(rater)).call())

    def min_rating_stake(self) -> int:
        return int(self.contract.functions.minRatingStake().call())

    def rating_lock_period(self) -> int:
        return int(self.contract.functions.ratingLockPeriod().call())
