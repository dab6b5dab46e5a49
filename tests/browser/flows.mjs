// Browser flows of the web app in real headless Chromium (Debian's), against the real devnet and API.
// Driven by tests/browser/test_browser.py, which runs the oracle and worker daemons: when this script
// needs the chain to move on (tasks to settle, time to pass), it writes `@@nnc {"op": ...}` on stdout
// and waits for the answer line on stdin. It ends with `@@result {...}`; any failed check exits 1.
import assert from 'node:assert/strict';
import {
  TIMEOUT, ask, connect, env, go, lastTx, launch, run, shot as screenshot, step, switchAccount as switchTo, unlabelled,
} from './helpers.mjs';

const API = env('NNC_API_URL');
const RPC = env('NNC_RPC_URL');
const ACCOUNTS = JSON.parse(env('NNC_ACCOUNTS')); // {requester, worker, newNode}
const PROFILE = env('NNC_PROFILE_FILE');
const DATASET = env('NNC_DATASET_FILE');

const result = { screenshots: [], tasks: {}, console_errors: [], wallet_calls: [] };
const session = { account: ACCOUNTS.requester };

async function shot(page, name) { result.screenshots.push(await screenshot(page, name)); }
const switchAccount = (page, address) => switchTo(page, session, address);

async function publish(page, { token, budget, replication, name, dataset }) {
  await go(page, '#/publish');
  await page.fill('#f-name', name);
  if (dataset) await page.setInputFiles('#f-dataset', dataset);
  await page.selectOption('#f-token', { label: token });
  await page.fill('#f-budget', budget);
  await page.fill('#f-replication', String(replication));
  await page.click('#publish-button');
  const published = page.locator('#published-task');
  await published.waitFor({ timeout: TIMEOUT * 2 });
  return Number(await published.getAttribute('data-task'));
}

async function main() {
  const { browser, page } = await launch(session, { rpc: RPC, consoleErrors: result.console_errors });
  try {
    step('open the marketplace; the wallet is discovered by EIP-6963');
    await page.goto(`${API}/#/tasks`);
    await page.waitForFunction(() => document.getElementById('main').dataset.ready);
    assert.match(await page.innerText('#connect'), /Connect NNC Test Wallet/);
    const nav = await page.locator('nav a').allInnerTexts();
    assert.deepEqual(nav, ['Marketplace', 'Models', 'Publish', 'Node dashboard', 'Governance']);

    step('keyboard: skip link first, then the main navigation; Enter follows a link');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to content');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Marketplace');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.getElementById('main').dataset.hash === '#/publish' && !document.getElementById('main').hasAttribute('aria-busy'));
    assert.equal(await page.getAttribute('nav a[aria-current="page"]', 'href'), '#/publish');
    result.unlabelled = await unlabelled(page);
    assert.deepEqual(result.unlabelled, []);
    await go(page, '#/tasks');

    step('connect: the wallet is on chain 1, so the app switches and adds the devnet');
    await connect(page);
    const calls = await page.evaluate(() => window.__nncWallet.calls.map((c) => c.method));
    result.wallet_calls = calls;
    assert.ok(calls.indexOf('wallet_switchEthereumChain') < calls.indexOf('wallet_addEthereumChain'));
    const addedChain = await page.evaluate(() => [...window.__nncWallet.added.values()][0]);
    result.added_chain = addedChain;
    assert.deepEqual(addedChain.rpcUrls, [RPC]);

    step('publish: invalid input is refused before any transaction');
    await go(page, '#/publish');
    const sentBefore = await page.evaluate(() => window.__nncWallet.calls.filter((c) => c.method === 'eth_sendTransaction').length);
    await page.fill('#f-budget', 'a lot');
    await page.fill('#f-deadline', '10');
    await page.click('#publish-button');
    const errors = await page.innerText('#form-errors');
    assert.match(errors, /Budget: must be a decimal amount/);
    assert.match(errors, /Deadline \(s from now\): must be between 90/); // 60 s to apply + the devnet's 30 s execution window
    assert.equal(await page.getAttribute('#f-budget', 'aria-invalid'), 'true');
    await page.fill('#f-budget', '1');
    await page.fill('#f-deadline', '600');
    await page.fill('#f-steps', '0');
    await page.click('#estimate-button');
    assert.match(await page.innerText('#form-errors'), /Steps: must be between 1/);
    await page.fill('#f-steps', '60');
    await page.fill('#f-learning_rate', '0.01');
    await page.fill('#f-checkpoint_interval', '20');
    await page.fill('#f-layers', '4096,4096,4096,4096,4096,4096,4096,4096,4096');
    await page.click('#estimate-button');
    await page.waitForFunction(() => /model\.hidden/.test(document.getElementById('form-errors').textContent));
    await page.fill('#f-layers', '16');
    const sentAfter = await page.evaluate(() => window.__nncWallet.calls.filter((c) => c.method === 'eth_sendTransaction').length);
    assert.equal(sentAfter, sentBefore, 'no transaction may be sent for an invalid form');
    await page.click('#estimate-button');
    await page.waitForSelector('#estimate-result');
    result.estimate_cu = Number(await page.innerText('#estimate-cu'));
    await shot(page, 'publish');

    step('publish from a template: a PEFT spec opens as JSON, is dry-run, then refused once broken');
    await go(page, '#/publish');
    const templates = (await (await fetch(`${API}/api/templates`)).json()).items;
    const peft = templates.find((t) => t.id === 'text-lora-peft.json');
    const tones = templates.find((t) => t.id === 'audio-tones-cnn.json');
    assert.ok(peft && tones, 'the API lists the shipped templates');
    assert.equal(await page.locator('#f-template option').count(), templates.length + 1);
    await page.selectOption('#f-template', 'text-lora-peft.json');
    await page.waitForSelector('#f-spec-json', { state: 'visible' });
    assert.ok(await page.isChecked('#f-advanced'));
    assert.ok(await page.isHidden('#f-kind'), 'the simple form is hidden in JSON mode');
    assert.match(await page.innerText('#template-status'), /text-lora-peft\.json is a PEFT \(LoRA\) spec/);
    const peftSpec = JSON.parse(await page.inputValue('#f-spec-json'));
    assert.equal(peftSpec.framework, 'peft');
    assert.equal(peftSpec.model.kind, 'causal-lm');
    assert.equal(peftSpec.model.lora.rank, 8);
    assert.deepEqual(peftSpec, peft.spec);
    await page.click('#estimate-button');
    await page.waitForSelector('#estimate-result', { timeout: TIMEOUT * 2 });
    assert.equal(Number(await page.innerText('#estimate-cu')), peft.compute_units);
    assert.match(await page.innerText('#estimate-framework'), /\(peft\)/);
    assert.equal(await page.innerText('#form-errors'), '');
    assert.deepEqual(await unlabelled(page), []);
    await shot(page, 'publish-template');
    peftSpec.model.lora.rank = 0;
    await page.fill('#f-spec-json', JSON.stringify(peftSpec, null, 2));
    await page.click('#estimate-button');
    await page.waitForFunction(() => /model\.lora\.rank/.test(document.getElementById('form-errors').textContent));
    assert.equal(await page.getAttribute('#f-spec-json', 'aria-invalid'), 'true');
    assert.equal(await page.locator('#estimate-result').count(), 0);
    await page.selectOption('#f-template', 'image-generation-lora-diffusers.json');
    const unet = JSON.parse(await page.inputValue('#f-spec-json'));
    unet.training.batch_size = 4096; // too large for the API to time: no model built, so no parameter count
    await page.fill('#f-spec-json', JSON.stringify(unet));
    await page.click('#estimate-button');
    await page.waitForSelector('#estimate-result');
    assert.equal(await page.innerText('#estimate-parameters'), 'n/a');
    assert.equal(await page.innerText('#estimate-memory'), 'n/a');
    assert.match(await page.innerText('#estimate-time'), /too large to time/);
    await page.fill('#f-spec-json', '{"version": 1,');
    await page.click('#estimate-button');
    assert.match(await page.innerText('#form-errors'), /Spec JSON: not valid JSON/);

    step('a PyTorch CNN template fills the form; the advanced toggle shows its spec as JSON (keyboard)');
    await page.selectOption('#f-template', 'audio-tones-cnn.json');
    await page.waitForSelector('#f-kind', { state: 'visible' });
    assert.ok(!(await page.isChecked('#f-advanced')));
    assert.ok(await page.isHidden('#f-spec-json'));
    assert.equal(await page.inputValue('#f-kind'), 'cnn');
    assert.equal(await page.inputValue('#f-layers'), '16,16');
    assert.equal(await page.inputValue('#f-dataset-name'), 'synthetic-tones');
    assert.equal(await page.inputValue('#f-steps'), String(tones.spec.training.steps));
    assert.equal(await page.inputValue('#f-name'), 'audio-tones-cnn');
    await page.focus('#f-advanced');
    await page.keyboard.press('Space');
    await page.waitForSelector('#f-spec-json', { state: 'visible' });
    const fromForm = JSON.parse(await page.inputValue('#f-spec-json'));
    assert.deepEqual(fromForm.model, { kind: 'cnn', hidden: [], channels: [16, 16] });
    assert.deepEqual(fromForm.dataset, tones.spec.dataset); // the template's digest is kept
    await page.keyboard.press('Space');
    await page.waitForSelector('#f-kind', { state: 'visible' });
    await page.click('#estimate-button');
    await page.waitForSelector('#estimate-result');
    assert.equal(Number(await page.innerText('#estimate-cu')), tones.compute_units);

    step('publish a task paid in ETH (replication 2)');
    const ethTask = await publish(page, { token: 'ETH', budget: '0.5', replication: 2, name: 'browser ETH task', dataset: DATASET });
    result.dataset_uri = (await page.innerText('#publish-result code')).trim();
    assert.equal((await lastTx(page, 'Publish')).state, 'confirmed');

    step('publish a task paid in NNT: approve, then publish');
    const nntTask = await publish(page, { token: 'NNT', budget: '25', replication: 1, name: 'browser NNT task' });
    assert.equal((await lastTx(page, 'Approve')).state, 'confirmed');
    result.tasks = { eth: ethTask, nnt: nntTask };

    step('watch the ETH task live on its page while the daemons settle both tasks');
    await go(page, `#/tasks/${ethTask}`);
    assert.equal(await page.getAttribute('#task-status', 'data-status'), 'published');
    await ask({ op: 'settle', tasks: [ethTask, nntTask] });
    await page.waitForSelector('#task-status[data-status="settled"]', { timeout: TIMEOUT });
    await page.waitForSelector('#timeline li[data-event="TaskSettled"]');
    const shown = await page.locator('#timeline li').evaluateAll((items) => items.map((i) => i.dataset.event));
    const trace = await (await fetch(`${API}/api/tasks/${ethTask}/trace`)).json();
    assert.deepEqual(shown, trace.events.map((e) => e.name));
    result.timeline_events = shown.length;
    assert.ok(await page.locator('#payouts table').isVisible());
    await shot(page, 'task');

    step('the marketplace lists both settled tasks');
    await go(page, '#/tasks');
    await page.selectOption('#filter-status', 'settled');
    await page.waitForFunction((ids) => ids.every((id) => document.querySelector(`[data-task="${id}"]`)), [ethTask, nntTask]);
    await shot(page, 'marketplace');

    step('node dashboard of a worker: reputation, earnings chart, claim ETH and the NNT bonus');
    await switchAccount(page, ACCOUNTS.worker);
    await go(page, '#/node');
    assert.ok(Number((await page.innerText('#reputation')).split(' ')[0]) > 5000);
    assert.equal(await page.locator('#earnings svg path[data-series="ETH"]').count(), 1);
    await page.click('#claim-eth-button');
    assert.equal((await lastTx(page, 'Claim ETH')).state, 'confirmed');
    await page.waitForFunction(() => document.getElementById('claim-eth')?.dataset.wei === '0');
    assert.ok(BigInt(await page.getAttribute('#claim-bonus', 'data-wei')) > 0n, 'the settled tasks granted an NNT bonus');
    await page.click('#claim-bonus-button');
    assert.equal((await lastTx(page, 'Claim NNT bonus')).state, 'confirmed');
    await page.waitForFunction(() => document.getElementById('claim-bonus')?.dataset.wei === '0');
    await shot(page, 'node-worker');

    step('node dashboard of a new node: register, stake, a decoded revert, unbond, withdraw');
    await switchAccount(page, ACCOUNTS.newNode);
    await go(page, '#/node');
    assert.deepEqual(await unlabelled(page), []);
    await page.setInputFiles('#profile-file', PROFILE);
    await page.click('#register-button');
    assert.equal((await lastTx(page, 'Register node')).state, 'confirmed');
    await page.waitForSelector('#register', { state: 'detached' });
    await page.waitForSelector('#stake-amount');
    await page.fill('#stake-amount', '150');
    await page.click('#stake-amount-button');
    assert.equal((await lastTx(page, 'Stake')).state, 'confirmed');
    await page.waitForFunction(() => document.getElementById('staked')?.dataset.wei === '150000000000000000000');
    await page.fill('#unbond-amount', '1000');
    await page.click('#unbond-amount-button');
    const refused = await lastTx(page, 'Unbond 1000');
    assert.equal(refused.state, 'failed');
    assert.match(refused.text, /InsufficientFreeStake\(node=0x[0-9a-fA-F]{40}, have=150000000000000000000, need=1000000000000000000000\)/);
    result.decoded_revert = refused.text;
    await page.fill('#unbond-amount', '50');
    await page.click('#unbond-amount-button');
    assert.equal((await lastTx(page, 'Unbond 50')).state, 'confirmed');
    await page.waitForFunction(() => document.getElementById('unbonding')?.dataset.wei === '50000000000000000000');
    await ask({ op: 'advance', seconds: 61 });
    await go(page, '#/node');
    await page.click('#withdraw-button');
    assert.equal((await lastTx(page, 'Withdraw')).state, 'confirmed');
    await page.waitForFunction(() => document.getElementById('unbonding')?.dataset.wei === '0');
    await shot(page, 'node-new');

    step('governance: delegate votes; disputes and proposals as far as contracts exist');
    await go(page, '#/governance');
    await page.click('#delegate-self');
    assert.equal((await lastTx(page, 'Delegate')).state, 'confirmed');
    await page.waitForFunction(() => document.getElementById('vote-power')?.dataset.wei === '9900000000000000000000');
    const opened = await ask({ op: 'dispute' });
    result.dispute = opened.dispute;
    await go(page, '#/governance');
    await page.click(`[data-dispute="${opened.dispute}"] button:has-text("Vote slash")`);
    assert.equal((await lastTx(page, 'Vote to slash')).state, 'confirmed');
    const disputes = await (await fetch(`${API}/api/disputes`)).json();
    const voted = disputes.items.find((d) => String(d.id) === String(opened.dispute));
    assert.equal(voted.votes.slash, '9900000000000000000000');
    await shot(page, 'governance');

    step('governance: propose a parameter change (a refused value named first), vote, queue, execute');
    await go(page, '#/governance');
    await page.selectOption('#proposal-parameter', 'MarketConfig.setProtocolFee');
    await page.fill('#proposal-arg-0', '20000');
    await page.click('#proposal-simulate');
    await page.waitForFunction(() => document.getElementById('proposal-simulation')?.dataset.ok === 'false');
    await page.selectOption('#proposal-parameter', 'MarketConfig.setChallengeWindow');
    assert.equal(await page.innerText('#proposal-current'), '60');
    await page.fill('#proposal-arg-0', '137');
    await page.fill('#proposal-description', 'Challenge window 137 s (browser test)');
    await page.click('#proposal-submit');
    assert.equal((await lastTx(page, 'Propose MarketConfig.setChallengeWindow')).state, 'confirmed');
    const listed = await (await fetch(`${API}/api/proposals`)).json();
    const proposal = listed.items.find((p) => p.description === 'Challenge window 137 s (browser test)');
    assert.ok(proposal, 'the proposal is listed');
    result.proposal = proposal.id;
    await ask({ op: 'mine', blocks: 2 });
    await go(page, '#/governance');
    await page.click(`[data-proposal="${proposal.id}"] button:has-text("For")`);
    assert.equal((await lastTx(page, 'Vote For')).state, 'confirmed');
    await ask({ op: 'dao-vote', proposal: proposal.id }); // the DAO's large holder votes too (quorum)
    await ask({ op: 'mine', blocks: 25 });
    await go(page, '#/governance');
    await page.click(`[data-proposal="${proposal.id}"] button:has-text("Queue")`);
    assert.equal((await lastTx(page, 'Queue proposal')).state, 'confirmed');
    await ask({ op: 'advance', seconds: 61 });
    await go(page, '#/governance');
    await page.click(`[data-proposal="${proposal.id}"] button:has-text("Execute")`);
    assert.equal((await lastTx(page, 'Execute proposal')).state, 'confirmed');
    const after = await (await fetch(`${API}/api/proposals/parameters`)).json();
    assert.equal(after.items.find((p) => p.name === 'MarketConfig.setChallengeWindow').current, '137');
    await shot(page, 'governance-proposal');

    step('small screen: the layout reflows without horizontal scrolling');
    await page.setViewportSize({ width: 390, height: 800 });
    await go(page, '#/tasks');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than a phone screen`);
    await shot(page, 'marketplace-mobile');
    assert.deepEqual(result.console_errors, []);
  } finally {
    await browser.close();
  }
}

run(main, result);
