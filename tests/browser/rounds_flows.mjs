// A data-parallel task's round timeline on the task page, in real headless Chromium against the
// real devnet and API (driven by tests/browser/test_round_timeline.py, which ran the round book
// first): the grid of nodes by rounds with each cell's status, digest and delta link, the flagged
// round, the shares; a book still running; a task without a book shows no grid; on a phone the grid
// becomes cards without horizontal scrolling.
import assert from 'node:assert/strict';
import { env, go, launch, run, shot as screenshot, step } from './helpers.mjs';

const API = env('NNC_API_URL');
const BOOKS = JSON.parse(env('NNC_BOOKS')); // {finished, running, plain, nodes: [first, second, straggler, replacement], delta}

const result = { screenshots: [], console_errors: [] };
const session = { account: BOOKS.nodes[0] };

async function shot(page, name) { result.screenshots.push(await screenshot(page, name)); }

// Each row's node and its cells' statuses, as the grid shows them.
async function grid(page) {
  return page.locator('#round-timeline tbody tr').evaluateAll((rows) => rows.map((tr) => ({
    node: tr.dataset.node,
    statuses: [...tr.querySelectorAll('td[data-status]')].map((td) => td.dataset.status),
    share: tr.querySelector('td.share').textContent,
  })));
}

async function main() {
  const { browser, page } = await launch(session, { rpc: env('NNC_RPC_URL'), consoleErrors: result.console_errors });
  try {
    step('a finished book: nodes by rounds, a straggler replaced, round 2 flagged, shares');
    await page.goto(`${API}/#/tasks/${BOOKS.finished}`);
    await page.waitForFunction(() => document.getElementById('main').dataset.ready);
    await page.waitForSelector('#round-timeline');
    const [first, second, straggler, replacement] = BOOKS.nodes;
    assert.deepEqual(await grid(page), [
      { node: first, statuses: ['counted', 'counted', 'counted'], share: '33.33%3 round(s)' },
      { node: second, statuses: ['counted', 'counted', 'counted'], share: '33.33%3 round(s)' },
      { node: straggler, statuses: ['missed', 'missed', 'not_seated'], share: '0%0 round(s)' },
      { node: replacement, statuses: ['not_seated', 'not_seated', 'counted'], share: '11.11%1 round(s)' },
    ]);
    assert.match(await page.textContent('#rounds-summary'), /^finished: 3 rounds closed\. 7 contributed round\(s\).* Flagged: round 2\.$/);
    const heads = await page.locator('#round-timeline thead th[data-round]').evaluateAll((ths) => ths.map((th) => th.dataset.flagged));
    assert.deepEqual(heads, ['false', 'true', 'false']);
    const delta = page.locator(`#round-timeline tr[data-node="${replacement}"] td[data-round="3"]`);
    assert.equal(await delta.locator('a.delta-link').getAttribute('href'), BOOKS.delta);
    assert.equal(await delta.locator('code').textContent(), `${BOOKS.delta_digest.slice(0, 10)}…`);
    assert.match(await delta.getAttribute('aria-label'), new RegExp(`round 3: counted; commitment ${BOOKS.delta_digest}$`));
    const disagrees = page.locator(`#round-timeline tr[data-node="${second}"] td[data-round="2"]`);
    assert.match(await disagrees.textContent(), /start differs/);
    assert.equal(await page.locator(`#round-timeline tr[data-node="${straggler}"] a`).count(), 0);
    assert.equal(await page.locator('#round-timeline caption').textContent(), `Rounds of task #${BOOKS.finished}: 3 nodes × 3 rounds of at most 120 s`);
    await shot(page, 'round-timeline');

    step('a running book: the open round, a committed cell and pending ones');
    await go(page, `#/tasks/${BOOKS.running}`);
    await page.waitForSelector('#round-timeline');
    assert.deepEqual((await grid(page)).map((r) => r.statuses), [
      ['committed', 'pending', 'pending'], ['pending', 'pending', 'pending'], ['pending', 'pending', 'pending']]);
    assert.match(await page.textContent('#rounds-summary'), /^round 1 of 3 running/);
    assert.match(await page.textContent('#round-timeline thead th[data-round="1"]'), /open until \d{4}-/);

    step('a task without a book shows no round grid');
    await go(page, `#/tasks/${BOOKS.plain}`);
    await page.waitForSelector('#timeline li');
    assert.equal(await page.locator('#round-timeline').count(), 0);

    step('small screen: the grid becomes one card per node, without horizontal scrolling');
    await page.setViewportSize({ width: 390, height: 800 });
    await go(page, `#/tasks/${BOOKS.finished}`);
    await page.waitForSelector('#round-timeline');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    const wide = await page.evaluate(() => [...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 8).map((el) => `${el.tagName}#${el.id}.${el.className}:${Math.round(el.getBoundingClientRect().right)}`));
    assert.ok(overflow <= 0, `the task page is ${overflow}px wider than a phone screen: ${wide.join(' ')}`);
    const cell = page.locator(`#round-timeline tr[data-node="${second}"] td[data-round="2"]`);
    assert.equal(await cell.evaluate((td) => getComputedStyle(td).display), 'block');
    assert.equal(await cell.evaluate((td) => getComputedStyle(td, '::before').content), '"Round 2 ⚑ flagged: "');
    await shot(page, 'round-timeline-mobile');
    assert.deepEqual(result.console_errors, []);
  } finally {
    await browser.close();
  }
}

run(main, result);
