"""`nnc model rate|unrate|claim-stake`: ratings and reviews of the library's models (ModelRatings),
added to the `nnc model` group by `nnc.cli.model_commands`; `rating_lines` is how `show` prints them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from nnc.cli.context import client_of, fmt_nnt, store_of

if TYPE_CHECKING:
    from nnc.chain.ratings import RatingSummary


@click.command("rate")
@click.argument("model_id", type=int)
@click.option("--stars", type=click.IntRange(1, 5), required=True, help="1 to 5")
@click.option("--review", "review_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="a review document, uploaded to the configured storage")
@click.option("--stake", metavar="AMOUNT", help="NNT to add to the rating's stake (needed unless you are a "
              "verified user of the model: you paid for a task that used it)")
@click.pass_context
def rate_cmd(ctx: click.Context, model_id: int, stars: int, review_file: Path | None, stake: str | None) -> None:
    """Rate model MODEL_ID (or change your rating). A verified user's rating counts in the verified
    users' average, the one the library shows; a staked rating counts in the stake-weighted
    average, by its stake, which stays locked for the lock period after the rating's last change."""
    from nnc.chain.models import Models
    from nnc.chain.ratings import Ratings
    from nnc.task.publish import parse_amount

    client = client_of(ctx)
    ratings = Ratings(client)
    add_stake = parse_amount(client, stake, str(client.token.address)) if stake else 0
    if Models(client).share_of(model_id, client.address):
        raise click.UsageError(f"{client.address} owns a share of model {model_id}: owners do not rate their own model")
    current = ratings.rating_of(model_id, client.address)
    have = add_stake + (current.stake if current is not None else 0)
    if not ratings.use_weight_of(model_id, client.address) and have < ratings.min_rating_stake():
        raise click.UsageError(f"{client.address} is no verified user of model {model_id} (it paid for no task that "
                               f"used it): rate with --stake, at least {fmt_nnt(ratings.min_rating_stake() - have)}"
                               " more")
    review_uri = store_of(ctx).put_file(review_file) if review_file is not None else ""
    ratings.rate(model_id, stars, review_uri, add_stake)
    rating = ratings.rating_of(model_id, client.address)
    assert rating is not None
    parts = [f"model {model_id}: rated {stars}/5 as a {'verified user' if rating.use_weight_bps else 'staker'}"]
    if rating.stake:
        parts.append(f"{fmt_nnt(rating.stake)} staked until {rating.locked_until}")
    if review_uri:
        parts.append(f"review {review_uri}")
    click.echo(", ".join(parts))
    for line in rating_lines(ratings.summary(model_id)):
        click.echo(f"  {line}")


@click.command("unrate")
@click.argument("model_id", type=int)
@click.pass_context
def unrate_cmd(ctx: click.Context, model_id: int) -> None:
    """Withdraw your rating of MODEL_ID; its stake (after its lock) becomes claimable (`nnc model claim-stake`)."""
    from nnc.chain.ratings import Ratings

    client = client_of(ctx)
    ratings = Ratings(client)
    ratings.withdraw(model_id)
    click.echo(f"model {model_id}: rating withdrawn; claimable {fmt_nnt(ratings.withdrawable(client.address))}")


@click.command("claim-stake")
@click.pass_context
def claim_stake_cmd(ctx: click.Context) -> None:
    """Send yourself the stakes of your withdrawn ratings."""
    from nnc.chain.ratings import Ratings

    client = client_of(ctx)
    ratings = Ratings(client)
    amount = ratings.withdrawable(client.address)
    ratings.claim_stake()
    click.echo(f"claimed {fmt_nnt(amount)}")


def rating_lines(summary: RatingSummary) -> list[str]:
    """Both averages, the shown one first."""
    verified = ("none" if summary.verified_average is None else
                f"{summary.verified_average:.2f}/5 from {summary.verified_count} verified user"
                f"{'' if summary.verified_count == 1 else 's'}")
    staked = ("none" if summary.staked_average is None else
              f"{summary.staked_average:.2f}/5 from {summary.staked_count} staked rating"
              f"{'' if summary.staked_count == 1 else 's'} ({fmt_nnt(summary.total_stake)})")
    shown = summary.shown
    return [f"rating        {'none' if shown is None else f'{shown[0]:.2f}/5 ({shown[1]})'}",
            f"  verified    {verified}", f"  staked      {staked}"]
