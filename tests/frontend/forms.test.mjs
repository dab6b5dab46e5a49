// The web app's field checks (frontend/js/forms/checks.js): values, and problems worded to follow a label.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FieldChecks, checkAmount, checkJsonObject, checkNumber, checkPositiveIntegers, checkRequired,
} from '../../frontend/js/forms/checks.js';

test('checkNumber: whole numbers within bounds', () => {
  assert.deepEqual(checkNumber(' 60 ', { min: 1, max: 100 }), { value: 60, problem: null });
  assert.equal(checkNumber('', {}).problem, 'a number is required');
  assert.equal(checkNumber('abc').problem, 'a number is required');
  assert.equal(checkNumber('Infinity').problem, 'a number is required');
  assert.equal(checkNumber('1.5').problem, 'must be a whole number');
  assert.equal(checkNumber('1.5', { integer: false }).problem, null);
  assert.equal(checkNumber('0', { min: 1, max: 1000000 }).problem, 'must be between 1 and 1000000');
  assert.equal(checkNumber('0.6', { integer: false, min: 0.01, max: 0.5 }).problem, 'must be between 0.01 and 0.5');
});

test('checkAmount: decimal token amounts in base units', () => {
  assert.deepEqual(checkAmount('0.5', 18), { value: 5n * 10n ** 17n, problem: null });
  assert.deepEqual(checkAmount(' 25 ', 18, { positive: true }), { value: 25n * 10n ** 18n, problem: null });
  assert.equal(checkAmount('0', 18, { positive: true }).problem, 'must be more than 0');
  assert.equal(checkAmount('0', 18).problem, null);
  assert.equal(checkAmount('-1', 18).problem, 'must not be negative');
  assert.equal(checkAmount('a lot', 18, { positive: true }).problem, 'must be a decimal amount, like 0.5');
  assert.equal(checkAmount('', 18).problem, 'must be a decimal amount, like 0.5');
});

test('checkRequired, checkPositiveIntegers, checkJsonObject', () => {
  assert.deepEqual(checkRequired('  x '), { value: 'x', problem: null });
  assert.equal(checkRequired('   ').problem, 'required');
  assert.deepEqual(checkPositiveIntegers('32, 16,'), { value: [32, 16], problem: null });
  for (const bad of ['', ',', '0', '3.5', '16,x', '-4']) assert.ok(checkPositiveIntegers(bad).problem, bad);
  assert.deepEqual(checkJsonObject('{"a": 1}'), { value: { a: 1 }, problem: null });
  assert.match(checkJsonObject('{"version": 1,').problem, /^not valid JSON \(/);
  assert.equal(checkJsonObject('[1]', 'a task spec').problem, 'must be a JSON object (a task spec)');
  assert.equal(checkJsonObject('null', 'a task spec').problem, 'must be a JSON object (a task spec)');
});

test('FieldChecks: every checked field in order, the problems among them', () => {
  const checks = new FieldChecks();
  assert.equal(checks.number('steps', '0', { min: 1, max: 10 }), 0);
  assert.equal(checks.required('name', 'task'), 'task');
  assert.equal(checks.amount('budget', 'a lot', 18, { positive: true }), null);
  assert.deepEqual(checks.results.map((r) => r.name), ['steps', 'name', 'budget']);
  assert.deepEqual(checks.problems, [
    { name: 'steps', problem: 'must be between 1 and 10' },
    { name: 'budget', problem: 'must be a decimal amount, like 0.5' }]);
  assert.equal(checks.ok, false);
  assert.equal(new FieldChecks().ok, true);
});
