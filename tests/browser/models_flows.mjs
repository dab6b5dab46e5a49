// The model library in real headless Chromium, against the real devnet and API (driven by
// tests/browser/test_models_page.py, which trained, settled and listed a model first): the Models
// page lists and filters, the model card shows provenance and owners, downloads the file verified,
// takes a staker's rating with a review, and opens the publish flow pre-filled to fine-tune the model
// (published on chain, then settled: its requester, now a verified user, rates without a stake) and to
// run inference with it. The task page links the task's model.
import assert from 'node:assert/strict';
import {
  TIMEOUT, ask, connect, env, go, lastTx, launch, run, shot as screenshot, step, switchAccount, txOf, unlabelled, waitReady,
} from './helpers.mjs';

const API = env('NNC_API_URL');
const ACCOUNTS = JSON.parse(env('NNC_ACCOUNTS')); // {requester, rater, fineTuner}
const LIBRARY = JSON.parse(env('NNC_LIBRARY')); // {model, shared, task, requester}

const result = { screenshots: [], console_errors: [] };
const session = { account: ACCOUNTS.rater };

async function shot(page, name) { result.screenshots.push(await screenshot(page, name)); }

async function listed(page) {
  return page.locator('#model-list [data-model]').evaluateAll((links) => links.map((a) => Number(a.dataset.model)));
}

// Sets a filter and waits for the list to show the query it makes.
async function filter(page, action, expectQuery) {
  await action();
  await page.waitForFunction((q) => (document.getElementById('model-list').dataset.query || '').includes(q), expectQuery);
  return listed(page);
}

// Follows a link that changes the hash and waits for the page it opens.
async function follow(page, selector, hash) {
  const before = await page.evaluate(() => document.getElementById('main').dataset.ready || '0');
  await page.click(selector);
  await waitReady(page, before, hash);
}

async function main() {
  const { browser, page } = await launch(session, { rpc: env('NNC_RPC_URL'), consoleErrors: result.console_errors });
  try {
    step('the Models page lists the trained model and the shared one');
    await page.goto(`${API}/#/models`);
    await page.waitForFunction(() => document.getElementById('main').dataset.ready);
    await connect(page);
    await go(page, '#/models');
    assert.equal(await page.getAttribute('nav a[aria-current="page"]', 'href'), '#/models');
    assert.deepEqual(await listed(page), [LIBRARY.shared, LIBRARY.model]);
    const row = page.locator('#model-list tr', { has: page.locator(`[data-model="${LIBRARY.model}"]`) });
    assert.match(await row.innerText(), /PyTorch\s+\d+(\.\d+)?% accuracy\s+unrated\s+unrated\s+MIT\s+verified/);
    assert.deepEqual(await unlabelled(page), []);

    step('filters: framework, verified only, licence, metric, sort');
    assert.deepEqual(await filter(page, () => page.selectOption('#filter-framework', 'jax'), 'framework=jax'), [LIBRARY.shared]);
    await page.selectOption('#filter-framework', '');
    assert.deepEqual(await filter(page, () => page.check('#filter-verified'), 'verified=true'), [LIBRARY.model]);
    await page.uncheck('#filter-verified');
    assert.deepEqual(await filter(page, () => page.fill('#filter-licence', 'apache-2.0'), 'licence=apache-2.0'), [LIBRARY.shared]);
    await page.fill('#filter-licence', '');
    assert.deepEqual(await filter(page, () => page.fill('#filter-metric', 'accuracy'), 'metric=accuracy'), [LIBRARY.model]);
    await page.fill('#filter-metric', '');
    assert.deepEqual(await filter(page, () => page.selectOption('#filter-sort', 'metric'), 'sort=metric'), [LIBRARY.model, LIBRARY.shared]);
    await shot(page, 'models');

    step('the model card: provenance, owners, lineage');
    await follow(page, `#model-list [data-model="${LIBRARY.model}"]`, `#/models/${LIBRARY.model}`);
    assert.equal(await page.getAttribute('#model-task', 'href'), `#/tasks/${LIBRARY.task}`);
    assert.equal(await page.innerText('#model-licence'), 'MIT');
    assert.match(await page.innerText('#model-owners'), new RegExp(`${LIBRARY.requester}\\s+100%`, 'i'));
    assert.match(await page.innerText('#model-lineage'), /none \(a root model\)/);
    assert.deepEqual(await unlabelled(page), []);

    step('a verified download: the API checks the weights, the browser the bytes\' SHA-256');
    await page.click('#download-button');
    await page.waitForSelector('#download-verdict');
    assert.equal(await page.getAttribute('#download-verdict', 'data-ok'), 'true', await page.innerText('#download-verdict'));
    assert.match(await page.innerText('#download-verdict'), /registered model digest 0x[0-9a-f]{64}/);
    result.download_sha256 = await page.getAttribute('#download-verdict', 'data-sha256');

    step('rate as a staker: refused without a stake, then approve + rate with a review');
    await page.fill('#rate-stake', '');
    await page.selectOption('#rate-stars', '4');
    await page.fill('#rate-review', 'Small and accurate enough for digits.');
    await page.click('#rate-button');
    assert.match(await page.innerText('#rate-errors'), /Stake \(NNT\): you are not a verified user of this model: stake at least/);
    await page.fill('#rate-stake', '15');
    assert.equal((await txOf(page, `Rate model #${LIBRARY.model}`, () => page.click('#rate-button'))).state, 'confirmed');
    assert.equal((await lastTx(page, 'Approve')).state, 'confirmed');
    await page.waitForFunction(() => /4★ \(1\)/.test(document.getElementById('rating-staked')?.textContent || ''), null, { timeout: TIMEOUT });
    assert.equal(await page.innerText('#rating-verified'), 'unrated');
    assert.match(await page.innerText('#model-reviews'), /Small and accurate enough for digits\./);
    assert.match(await page.innerText('#rate-mine'), /Your rating: 4★, 15 NNT staked/);
    assert.equal(await page.inputValue('#rate-stake'), '', 'a staked rating needs no more stake to change');
    await page.selectOption('#rate-stars', '5');
    assert.equal((await txOf(page, `Rate model #${LIBRARY.model}`, () => page.click('#rate-button'))).state, 'confirmed');
    await page.waitForFunction(() => /5★ \(1\)/.test(document.getElementById('rating-staked')?.textContent || ''), null, { timeout: TIMEOUT });
    assert.match(await page.innerText('#model-reviews'), /Small and accurate enough for digits\./, 'the review is kept');
    await shot(page, 'model-card');

    step('the Models page shows the rating and filters on it');
    await go(page, '#/models');
    assert.equal(await row.locator('[data-role="staked-rating"]').innerText(), '5★ (1)');
    assert.equal(await row.locator('[data-role="verified-rating"]').innerText(), 'unrated');
    assert.deepEqual(await filter(page, () => page.selectOption('#filter-min-rating', '5'), 'min_rating=5'), [LIBRARY.model]);
    assert.deepEqual(await filter(page, () => page.selectOption('#filter-sort', 'rating'), 'sort=rating'), [LIBRARY.model]);

    step('fine-tune this: the publish flow opens with the model\'s spec starting from it, and publishes');
    await switchAccount(page, session, ACCOUNTS.fineTuner);
    await go(page, `#/models/${LIBRARY.model}`);
    await follow(page, '#finetune-link', `#/publish?from-model=${LIBRARY.model}&mode=finetune`);
    await page.waitForSelector('#f-spec-json', { state: 'visible' });
    const fineTune = JSON.parse(await page.inputValue('#f-spec-json'));
    assert.deepEqual(fineTune.base_model, { id: LIBRARY.model });
    assert.match(fineTune.name, new RegExp(`fine-tuned from model #${LIBRARY.model}$`));
    assert.equal(await page.getAttribute('#template-status', 'data-prefill'), 'finetune');
    result.finetune_spec = fineTune;
    await page.fill('#f-budget', '0.2');
    await page.click('#publish-button');
    await page.locator('#published-task').waitFor({ timeout: TIMEOUT * 2 });
    result.finetune_task = Number(await page.getAttribute('#published-task', 'data-task'));
    await shot(page, 'publish-finetune');

    step('the fine-tune settles: its requester is now a verified user of the model and rates it without a stake');
    await ask({ op: 'settle', task: result.finetune_task });
    await go(page, `#/models/${LIBRARY.model}`);
    assert.match(await page.innerText('#rate-status'), /You are a verified user of this model \(use weight 100%\)/);
    assert.equal(await page.inputValue('#rate-stake'), '');
    await page.selectOption('#rate-stars', '3');
    assert.equal((await txOf(page, `Rate model #${LIBRARY.model}`, () => page.click('#rate-button'))).state, 'confirmed');
    await page.waitForFunction(() => /3★ \(1\)/.test(document.getElementById('rating-verified')?.textContent || ''), null, { timeout: TIMEOUT });
    assert.match(await page.innerText(`#model-reviews [data-rater="${ACCOUNTS.fineTuner}"]`), /verified user/);
    assert.match(await page.innerText('#model-children'), new RegExp(`#\\d+`), 'the fine-tune is listed as a child');

    step('run inference: the publish flow opens with an inference spec for the model');
    await go(page, `#/models/${LIBRARY.model}`);
    await follow(page, '#inference-link', `#/publish?from-model=${LIBRARY.model}&mode=inference`);
    await page.waitForSelector('#f-spec-json', { state: 'visible' });
    assert.equal(await page.innerText('h1'), 'Publish an inference task');
    const inference = JSON.parse(await page.inputValue('#f-spec-json'));
    result.inference_spec = inference;
    await page.fill('#f-budget', '0.1');
    await page.click('#publish-button');
    await page.waitForFunction(() => document.getElementById('published-task') || document.getElementById('form-errors').textContent,
      null, { timeout: TIMEOUT * 2 });
    const published = await page.locator('#published-task').count();
    result.inference = published ? { task: Number(await page.getAttribute('#published-task', 'data-task')) }
      : { problems: await page.innerText('#form-errors') };
    await shot(page, 'publish-inference');

    step('the task page links the model its task trained');
    await go(page, `#/tasks/${LIBRARY.task}`);
    await page.waitForSelector('#task-model-link');
    assert.equal(Number(await page.getAttribute('#task-model-link', 'data-model')), LIBRARY.model);
    await follow(page, '#task-model-link', `#/models/${LIBRARY.model}`);

    step('small screen: the Models page and the card reflow without horizontal scrolling');
    await page.setViewportSize({ width: 390, height: 800 });
    for (const hash of ['#/models', `#/models/${LIBRARY.model}`]) {
      await go(page, hash);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${hash} is ${overflow}px wider than a phone screen`);
    }
    await shot(page, 'model-card-mobile');
    assert.deepEqual(result.console_errors, []);
  } finally {
    await browser.close();
  }
}

run(main, result);
