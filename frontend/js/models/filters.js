// The Models page's filters and how a model row reads: pure functions of the filter inputs' values
// and of the API's model objects (GET /api/models), no DOM.
import { FRAMEWORKS } from '../frameworks.js';

// IModelRegistry.Metadata.domain: what a lister may state (empty: not stated).
export const DOMAINS = ['vision', 'text', 'audio', 'video', 'custom'];
export const FRAMEWORK_IDS = Object.keys(FRAMEWORKS);
// Common SPDX ids to pick from; the filter takes any id typed in too.
export const LICENCES = ['Apache-2.0', 'MIT', 'BSD-3-Clause', 'CC-BY-4.0', 'CC-BY-NC-4.0', 'GPL-3.0-only', 'OpenRAIL-M'];
export const SORTS = [['newest', 'newest first'], ['rating', 'best rated first'], ['metric', 'best metric first']];
export const FILTER_FIELDS = ['domain', 'framework', 'metric', 'min_rating', 'licence', 'verified', 'sort'];

// The /api/models query for the filters' raw values ({field: text}, checkboxes as booleans); only
// the filters that are set, the page size last.
export function modelQuery(values, { limit = 100 } = {}) {
  const params = new URLSearchParams();
  for (const name of ['domain', 'framework', 'metric', 'licence']) {
    const value = String(values[name] ?? '').trim();
    if (value) params.set(name, value);
  }
  const rating = Number(values.min_rating);
  if (values.min_rating !== '' && values.min_rating !== undefined && rating > 0) params.set('min_rating', String(rating));
  if (values.verified === true || values.verified === 'true') params.set('verified', 'true');
  if (values.sort && values.sort !== 'newest') params.set('sort', values.sort);
  params.set('limit', String(limit));
  return params.toString();
}

// The filters' values read back from a query string (the page keeps them in its URL).
export function filtersFromQuery(query) {
  const params = new URLSearchParams(query || '');
  return {
    domain: params.get('domain') || '', framework: params.get('framework') || '', metric: params.get('metric') || '',
    min_rating: params.get('min_rating') || '', licence: params.get('licence') || '',
    verified: params.get('verified') === 'true', sort: params.get('sort') || 'newest',
  };
}

// "97.5% accuracy", or a dash for a model no task scored.
export function metricText(model) {
  if (!model.verified || !model.metric) return '—';
  return `${model.metric_value / 100}% ${model.metric}`;
}

// Stars as a person reads them: "4.5★ (2)", or "unrated". `average` is in stars (null: none).
export function starsText(average, count) {
  if (!count || average === null || average === undefined) return 'unrated';
  return `${Number(average).toFixed(2).replace(/\.?0+$/, '')}★ (${count})`;
}

// Both averages of a model's ratings summary (the API's `ratings`): verified users' and stakers'.
export function ratingTexts(ratings) {
  if (!ratings) return { verified: 'unrated', staked: 'unrated' };
  return {
    verified: starsText(ratings.verified_average, ratings.verified_count),
    staked: starsText(ratings.staked_average, ratings.staked_count),
  };
}

// The average the library shows first: the verified users' when there is one, else the stakers'.
export function shownAverage(ratings) {
  if (!ratings) return null;
  if (ratings.verified_count) return ratings.verified_average;
  if (ratings.staked_count) return ratings.staked_average;
  return null;
}
