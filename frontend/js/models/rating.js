// Rating a model (IModelRatings.rate): the form's values checked, the review document stored
// through the API's upload path, the NNT stake approved to ModelRatings when there is one, then the
// rating sent. A verified user (one that paid for a task using the model) may rate without a stake;
// anyone else must stake at least minRatingStake NNT, which the contract enforces (StakeTooLow).
import { api } from '../api.js';
import { contract, getDeployment } from '../chain.js';
import { amount } from '../format.js';
import { send } from '../tx.js';
import { approveIfNeeded, erc20 } from '../components/transaction-flow.js';

export const REVIEW_MAX = 4000; // characters of review text the form takes

// The rating the form describes ({stars, review, stake}); problems recorded on `checks`.
export function ratingFromValues(values, checks) {
  const stars = checks.number('stars', values.stars, { min: 1, max: 5 });
  const review = String(values.review ?? '').trim();
  checks.note('review', { value: review, problem: review.length > REVIEW_MAX ? `at most ${REVIEW_MAX} characters (got ${review.length})` : null });
  const stakeText = String(values.stake ?? '').trim();
  const stake = stakeText === '' ? 0n : checks.amount('stake', stakeText, 18);
  if (stakeText === '') checks.note('stake', { value: 0n, problem: null });
  return { stars, review, stake };
}

// The review document stored for a rating (JSON, as `nnc model rate` writes it).
export function reviewDocument(modelId, stars, review) {
  return { version: 1, model: Number(modelId), stars, review };
}

// Why an account cannot rate with this stake, or null: the contract's own rules, checked first so
// that the form says it before the wallet is asked (the contract checks them again).
// `staked` is what the account's rating already holds (a rating changed keeps its stake).
export function stakeProblem({ stake, staked = 0n, useWeightBps, minStake, isOwner, balance }) {
  if (isOwner) return 'you own a share of this model: owners cannot rate their own model';
  if (!useWeightBps && staked + stake < minStake) {
    return `you are not a verified user of this model: stake at least ${amount(minStake, 'NNT')} on your rating`
      + (staked > 0n ? ` (it holds ${amount(staked, 'NNT')})` : '');
  }
  if (stake > balance) return 'your NNT balance is lower than the stake';
  return null;
}

// Stores the review (when there is text; else the rating keeps `keptReviewURI`, its current one),
// approves the stake, rates; resolves to the review URI.
export async function rateModel(signer, account, modelId, { stars, review, stake }, keptReviewURI = '') {
  const d = getDeployment();
  let reviewURI = keptReviewURI;
  if (review) {
    const blob = new Blob([JSON.stringify(reviewDocument(modelId, stars, review))], { type: 'application/json' });
    reviewURI = (await api.upload('review', blob)).uri;
  }
  if (stake > 0n) await approveIfNeeded(erc20(d.addresses.NNToken, signer), account, d.addresses.ModelRatings, stake, 'NNT');
  await send(`Rate model #${modelId}`, contract('ModelRatings', signer).rate, [BigInt(modelId), stars, reviewURI, stake]);
  return reviewURI;
}
