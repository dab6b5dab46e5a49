// What the browser flow scripts share: the environment the Python test sets, the line protocol that
// asks it to move the chain on (`@@nnc {"op": ...}` out, the answer line in), Chromium with the test
// wallet injected, and page helpers (navigate and wait for the page, the latest transaction's state,
// switching the wallet's account, screenshots, controls without a name).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const env = (name) => { const v = process.env[name]; assert.ok(v, `${name} must be set`); return v; };
export const TIMEOUT = 30_000;
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

let lines = null;
export async function ask(op) {
  lines ||= createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  process.stdout.write(`@@nnc ${JSON.stringify(op)}\n`);
  const { value, done } = await lines.next();
  assert.ok(!done, `no answer to ${op.op}`);
  const answer = JSON.parse(value);
  assert.ok(answer.ok, `${op.op} failed: ${answer.error}`);
  return answer;
}

export const step = (text) => process.stdout.write(`step: ${text}\n`);

// Chromium with the test wallet (tests/browser/wallet.js) forwarding to anvil as `session.account`:
// to `rpc`, or with `rpcs` ({"0x7a69": url, ...}) to the RPC of the chain the wallet is on.
export async function launch(session, { rpc, rpcs = {}, consoleErrors }) {
  mkdirSync(env('NNC_SCREENSHOTS'), { recursive: true });
  const browser = await chromium.launch({ executablePath: process.env.NNC_CHROMIUM || '/usr/bin/chromium', headless: true, args: FLAGS });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(TIMEOUT);
  await context.exposeFunction('__nncRpc', async (payload, chainId) => (await fetch(rpcs[chainId] || rpc, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(payload) })).json());
  await context.exposeFunction('__nncAccount', () => session.account);
  await context.addInitScript({ path: join(here, 'wallet.js') });
  const page = await context.newPage();
  page.on('console', (msg) => { if (msg.type() === 'error') consoleErrors.push(msg.text()); });
  page.on('pageerror', (err) => consoleErrors.push(`pageerror: ${err.message}`));
  return { browser, page };
}

export async function shot(page, name) {
  const path = join(env('NNC_SCREENSHOTS'), `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

// Goes to `hash` (rendering it again when it is already there) and waits until the page is ready.
export async function go(page, hash) {
  await page.waitForFunction(() => !document.getElementById('main').hasAttribute('aria-busy'));
  const before = await page.evaluate(() => document.getElementById('main').dataset.ready || '0');
  await page.evaluate((h) => {
    if (window.location.hash === h) window.dispatchEvent(new HashChangeEvent('hashchange')); else window.location.hash = h;
  }, hash);
  await waitReady(page, before, hash);
}

// Waits for the router to finish rendering `hash` after render number `before`.
export async function waitReady(page, before, hash) {
  await page.waitForFunction(([b, h]) => {
    const m = document.getElementById('main');
    return m.dataset.ready !== b && m.dataset.hash === h && !m.hasAttribute('aria-busy');
  }, [before, hash]);
}

// Form controls without an accessible name (a <label>, aria-label or aria-labelledby).
export async function unlabelled(page) {
  return page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby')
      && !(el.tagName === 'BUTTON' && el.textContent.trim()))
    .map((el) => el.id || el.outerHTML.slice(0, 60)));
}

// The latest transaction whose label starts with `label`, once it is no longer pending.
export async function lastTx(page, label) {
  const item = page.locator(`#txs li[data-label^="${label}"]`).first();
  await item.waitFor();
  await page.waitForFunction((l) => { const el = document.querySelector(`#txs li[data-label^="${l}"]`); return el && el.dataset.state && el.dataset.state !== 'pending'; }, label, { timeout: TIMEOUT });
  return { state: await item.getAttribute('data-state'), text: await item.innerText() };
}

// Runs `action` (a click that sends a transaction) and returns the state of the transaction it started:
// the first entry labelled `label` that was not in the list before (an earlier one with the same
// label may still be shown, settled).
export async function txOf(page, label, action) {
  const before = await page.evaluate(() => [...document.querySelectorAll('#txs li')].map((li) => li.id));
  await action();
  const handle = await page.waitForFunction(([l, old]) => {
    const el = [...document.querySelectorAll(`#txs li[data-label^="${l}"]`)].find((li) => !old.includes(li.id));
    return el && el.dataset.state && el.dataset.state !== 'pending' ? { state: el.dataset.state, text: el.innerText } : null;
  }, [label, before], { timeout: TIMEOUT });
  return handle.jsonValue();
}

export async function switchAccount(page, session, address) {
  session.account = address;
  await page.evaluate((a) => window.__nncWallet.emit('accountsChanged', [a]), address);
  await page.waitForFunction((a) => document.getElementById('account')?.dataset.address?.toLowerCase() === a.toLowerCase(), address);
}

export async function connect(page) {
  await page.click('#connect');
  await page.waitForSelector('#chain-status.confirmed');
}

// Runs `main()`; its result (or the failure) is the last line, `@@result {...}`.
export function run(main, result) {
  main().then(() => {
    process.stdout.write(`@@result ${JSON.stringify(result)}\n`);
    process.exit(0);
  }, (err) => {
    process.stdout.write(`@@result ${JSON.stringify({ ...result, failure: String(err.stack || err) })}\n`);
    process.exit(1);
  });
}
