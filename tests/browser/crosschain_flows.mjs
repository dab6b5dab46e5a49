// The web app across two chains (tests/crosschain/test_web_crosschain.py): a requester pays from the
// spoke chain on the publish page (the wallet switches to, and adds, the spoke), the escrow is followed
// until the home chain publishes the task, the task settles at home (the test runs the daemons), its
// page names where it was paid from, and the refund is claimed on the spoke from the dashboard; then a
// task paid in the spoke's ERC-20 expires unassigned, and its refund, credited on the spoke in the
// token, is partly sent home over the token's warp route ("Send to home") and the rest claimed there.
import assert from 'node:assert/strict';
import { TIMEOUT, ask, connect, env, go, launch, run, shot as screenshot, step, txOf } from './helpers.mjs';

const API = env('NNC_API_URL');
const RPC = env('NNC_RPC_URL');
const RPCS = JSON.parse(env('NNC_RPC_URLS')); // {chain id hex: RPC URL} of home and spoke
const SPOKE = JSON.parse(env('NNC_SPOKE')); // {chain_id, name}
const ACCOUNTS = JSON.parse(env('NNC_ACCOUNTS')); // {requester}

const result = { screenshots: [], console_errors: [] };
const session = { account: ACCOUNTS.requester };
async function shot(page, name) { result.screenshots.push(await screenshot(page, name)); }

async function main() {
  const { browser, page } = await launch(session, { rpc: RPC, rpcs: RPCS, consoleErrors: result.console_errors });
  try {
    step('connect on the home chain; the deployment lists the spoke chain');
    await page.goto(`${API}/#/tasks`);
    await page.waitForFunction(() => document.getElementById('main').dataset.ready);
    await connect(page);

    step('publish paid from the spoke: ETH only, the wallet switches to (and adds) the spoke chain');
    await go(page, '#/publish');
    const options = await page.locator('#f-pay-chain option').allInnerTexts();
    assert.equal(options.length, 2, `home and one spoke: ${options}`);
    await page.selectOption('#f-pay-chain', String(SPOKE.chain_id));
    assert.match(await page.innerText('#pay-chain-hint'), /test ISM/);
    await page.fill('#f-name', 'spoke-paid digits');
    await page.fill('#f-budget', '0.5');
    await page.fill('#f-replication', '2');
    const published = await txOf(page, 'Publish ', () => page.click('#publish-button'));
    assert.equal(published.state, 'confirmed', published.text);
    const escrow = page.locator('#published-escrow');
    await escrow.waitFor();
    result.escrow = Number(await escrow.getAttribute('data-escrow'));
    result.spoke_chain_seen = await page.getAttribute('#chain-status', 'data-chain');
    assert.equal(result.spoke_chain_seen, String(SPOKE.chain_id), 'the wallet is on the spoke after paying there');
    assert.match(await page.innerText('#chain-status'), new RegExp(SPOKE.name));
    const added = await page.evaluate(() => [...window.__nncWallet.added.keys()]);
    assert.ok(added.includes(`0x${SPOKE.chain_id.toString(16)}`), `the spoke chain was added: ${added}`);

    step('the escrow is followed until the relayer delivers and the home gateway publishes the task');
    await page.waitForSelector('#escrow-status[data-state="published"]', { timeout: TIMEOUT * 4 });
    result.task = Number(await page.getAttribute('#escrow-status', 'data-task'));
    await shot(page, 'crosschain-publish');

    step('the task trains and settles at home; its settlement is relayed back to the spoke');
    await ask({ op: 'settle', task: result.task });
    await go(page, `#/tasks/${result.task}`);
    await page.waitForSelector('#task-origin[data-relayed="true"]');
    assert.match(await page.innerText('#task-origin'), new RegExp(`${SPOKE.name} \\(escrow ${result.escrow}`));
    // each payout's chain: the nodes' and the refund on the spoke (the default), the fee at home
    const chains = await page.locator('#payouts .payout-chain').evaluateAll((els) => els.map((e) => e.dataset.chain));
    assert.deepEqual(chains, [SPOKE.name, SPOKE.name, 'home', SPOKE.name], `payout chains: ${chains}`);
    assert.match(await page.innerText('#payouts'), /refund to the payer/);
    await shot(page, 'crosschain-task');

    step('the dashboard shows the refund credited on the spoke; claiming it switches the wallet there');
    await go(page, '#/node');
    const credit = BigInt(await page.getAttribute(`#spoke-credit-${SPOKE.chain_id}`, 'data-wei'));
    assert.ok(credit > 0n, 'a refund is credited on the spoke');
    result.credit_wei = credit.toString();
    const claimed = await txOf(page, 'Claim ', () => page.click(`#claim-spoke-${SPOKE.chain_id}`));
    assert.equal(claimed.state, 'confirmed', claimed.text);
    await page.waitForFunction((id) => document.getElementById(`spoke-credit-${id}`)?.dataset.wei === '0', SPOKE.chain_id);
    assert.match(await page.innerText('#spoke-chains'), new RegExp(`#${result.escrow}`));
    await shot(page, 'crosschain-node');

    step('the account chooses to be paid on the home chain for tasks paid from a spoke, then back');
    assert.equal(await page.getAttribute('#payout-chain', 'data-on-home'), 'false', 'the origin chain by default');
    for (const onHome of ['true', 'false']) {
      const chosen = await txOf(page, 'Be paid on ', () => page.click('#payout-chain-switch'));
      assert.equal(chosen.state, 'confirmed', chosen.text);
      await page.waitForSelector(`#payout-chain[data-on-home="${onHome}"]`);
    }
    result.payout_choices = 2;

    step('publish paid in the spoke\'s token: approve, publishToken; the home chain publishes it in the synthetic');
    await go(page, '#/publish');
    await page.selectOption('#f-pay-chain', String(SPOKE.chain_id));
    const token = await page.locator('#f-pay-token option[data-symbol="SUSD"]').getAttribute('value');
    await page.selectOption('#f-pay-token', token);
    await page.fill('#f-name', 'token-paid digits');
    await page.fill('#f-budget', '2');
    await page.fill('#f-replication', '3'); // more than the devnet's two nodes: nobody trains it, it expires
    const paid = await txOf(page, 'Publish ', () => page.click('#publish-button'));
    assert.equal(paid.state, 'confirmed', paid.text);
    assert.ok(await page.locator('#txs li[data-label^="Approve SUSD"]').count() >= 1, 'the gateway was approved first');
    await page.locator('#published-escrow').waitFor();
    result.token_escrow = Number(await page.getAttribute('#published-escrow', 'data-escrow'));
    result.token = token;
    await page.waitForSelector('#escrow-status[data-state="published"]', { timeout: TIMEOUT * 4 });
    result.token_task = Number(await page.getAttribute('#escrow-status', 'data-task'));
    await shot(page, 'crosschain-token-publish');

    step('the token task expires unassigned at home: its whole budget comes back to the spoke as a SUSD credit');
    await ask({ op: 'expire', task: result.token_task });
    await go(page, '#/node');
    const key = `${SPOKE.chain_id}-${token.toLowerCase()}`;
    assert.equal(await page.getAttribute(`#spoke-token-credit-${key}`, 'data-symbol'), 'SUSD');
    const owed = BigInt(await page.getAttribute(`#spoke-token-credit-${key}`, 'data-wei'));
    assert.ok(owed >= 2n * 10n ** 18n, `the token task's budget is credited back: ${owed}`);
    result.token_credit_wei = owed.toString();
    // the devnet's gateway has a warp route for SUSD only: the native credit says why it stays there
    assert.ok(await page.isDisabled(`#send-home-${SPOKE.chain_id}-eth`), 'no warp route for the native coin');
    assert.match(await page.innerText(`#send-home-${SPOKE.chain_id}-eth`), /no warp route for ETH/);

    step('sending more than the credit is refused, with the reason, before anything is signed');
    const sendsBefore = await page.locator('#txs li[data-label^="Send "]').count();
    await page.fill(`#send-amount-${key}`, '1000');
    await page.click(`#send-home-${key}`);
    await page.waitForSelector('#node-message .error');
    assert.match(await page.innerText('#node-message'), /Send SUSD to home: 1000 SUSD is more than your credit/);
    assert.equal(await page.locator('#txs li[data-label^="Send "]').count(), sendsBefore, 'nothing sent');

    step('part of the credit goes home over the warp route (its interchain gas quoted), the rest is claimed on the spoke');
    await page.fill(`#send-amount-${key}`, '0.5');
    const sent = await txOf(page, 'Send ', () => page.click(`#send-home-${key}`));
    assert.equal(sent.state, 'confirmed', sent.text);
    assert.match(sent.text, /Send 0\.5 SUSD from .* to home \(interchain gas/);
    const left = owed - 5n * 10n ** 17n;
    await page.waitForFunction(([id, wei]) => document.getElementById(id)?.dataset.wei === wei, [`spoke-token-credit-${key}`, String(left)]);
    result.sent_wei = String(5n * 10n ** 17n);
    await shot(page, 'crosschain-token-credits');
    const claimedToken = await txOf(page, 'Claim ', () => page.click(`#claim-token-${key}`));
    assert.equal(claimedToken.state, 'confirmed', claimedToken.text);
    // the dashboard rendered again: the card is there, without a row for SUSD (nothing left)
    await page.waitForFunction((id) => !document.getElementById('main').hasAttribute('aria-busy')
      && document.getElementById('spoke-chains') && !document.getElementById(id), `spoke-token-credit-${key}`);
    result.token_claimed_wei = String(left);
  } finally {
    await browser.close();
  }
}

run(main, result);
