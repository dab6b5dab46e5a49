// Field checks on the raw text of form inputs, without the DOM: each returns the parsed value and a
// problem (null when the text is acceptable) worded to follow the field's label ("Steps: must be …").
// A FieldChecks collects them per field name, in the order they ran, for a page to show.
import { ethers } from '/vendor/ethers.js';

export function checkNumber(raw, { integer = true, min = -Infinity, max = Infinity } = {}) {
  const text = String(raw).trim();
  const value = Number(text);
  let problem = null;
  if (text === '' || !Number.isFinite(value)) problem = 'a number is required';
  else if (integer && !Number.isInteger(value)) problem = 'must be a whole number';
  else if (value < min || value > max) problem = `must be between ${min} and ${max}`;
  return { value, problem };
}

// A token amount in whole units ("0.5") as base units (a bigint with `decimals` decimals).
export function checkAmount(raw, decimals, { positive = false } = {}) {
  let value = null;
  let problem = null;
  try {
    value = ethers.parseUnits(String(raw).trim(), decimals);
    if (positive && value <= 0n) problem = 'must be more than 0';
    if (value < 0n) problem = 'must not be negative';
  } catch (_) { problem = 'must be a decimal amount, like 0.5'; }
  return { value, problem };
}

export function checkRequired(raw) {
  const value = String(raw).trim();
  return { value, problem: value ? null : 'required' };
}

// Comma-separated positive whole numbers ("64" or "32,16").
export function checkPositiveIntegers(raw) {
  const value = String(raw).split(',').map((x) => x.trim()).filter(Boolean).map(Number);
  const ok = value.length && value.every((x) => Number.isInteger(x) && x > 0);
  return { value, problem: ok ? null : 'comma-separated positive widths, like 64 or 32,16' };
}

// JSON text that parses to an object (not an array or a scalar).
export function checkJsonObject(raw, what = 'a task spec') {
  let value = null;
  let problem = null;
  try { value = JSON.parse(raw); } catch (err) { problem = `not valid JSON (${err.message})`; }
  if (!problem && (value === null || typeof value !== 'object' || Array.isArray(value))) problem = `must be a JSON object (${what})`;
  return { value, problem };
}

export class FieldChecks {
  constructor() { this.results = []; } // [{name, problem}] in the order checked

  // Records the outcome of a check on field `name` and returns its value.
  note(name, { value, problem }) {
    this.results.push({ name, problem: problem || null });
    return value;
  }

  required(name, raw) { return this.note(name, checkRequired(raw)); }

  number(name, raw, options) { return this.note(name, checkNumber(raw, options)); }

  amount(name, raw, decimals, options) { return this.note(name, checkAmount(raw, decimals, options)); }

  positiveIntegers(name, raw) { return this.note(name, checkPositiveIntegers(raw)); }

  jsonObject(name, raw, what) { return this.note(name, checkJsonObject(raw, what)); }

  get problems() { return this.results.filter((r) => r.problem); }

  get ok() { return this.problems.length === 0; }
}
