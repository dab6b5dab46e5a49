// The web app: a hash router over its pages, a wallet area, and the transaction list.
import { api } from './api.js';
import { setDeployment } from './chain.js';
import { h } from './dom.js';
import { short } from './format.js';
import * as wallet from './wallet.js';
import { spokeByChain } from './crosschain/spokes.js';
import { marketplacePage } from './pages/marketplace.js';
import { taskPage } from './pages/task.js';
import { publishPage } from './pages/publish.js';
import { nodePage } from './pages/node.js';
import { governancePage } from './pages/governance.js';
import { modelsPage } from './pages/models.js';
import { modelPage } from './pages/model.js';

const routes = [
  [/^#\/tasks\/(\d+)$/, 'tasks', (m) => taskPage(Number(m[1]))],
  [/^#\/(tasks)?$/, 'tasks', () => marketplacePage()],
  [/^#\/publish(?:\?(.*))?$/, 'publish', (m) => publishPage(m[1] || '')],
  [/^#\/models$/, 'models', () => modelsPage()],
  [/^#\/models\/(\d+)$/, 'models', (m) => modelPage(Number(m[1]))],
  [/^#\/node$/, 'node', () => nodePage()],
  [/^#\/governance$/, 'governance', () => governancePage()],
];

let cleanup = null;
let renderId = 0;

async function render() {
  const hash = window.location.hash || '#/tasks';
  const main = document.getElementById('main');
  if (cleanup) { cleanup(); cleanup = null; }
  const id = ++renderId;
  for (const [pattern, nav, page] of routes) {
    const match = hash.match(pattern);
    if (!match) continue;
    document.querySelectorAll('[data-nav]').forEach((a) => {
      if (a.dataset.nav === nav) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    });
    main.replaceChildren(h('p', { class: 'muted', role: 'status' }, 'Loading…'));
    main.setAttribute('aria-busy', 'true');
    try {
      const view = await page(match);
      if (id !== renderId) { view.cleanup?.(); return; }
      main.replaceChildren(view.element);
      cleanup = view.cleanup || null;
    } catch (err) {
      if (id !== renderId) return;
      main.replaceChildren(h('div', { class: 'card error', role: 'alert' }, h('h1', {}, 'Something went wrong'), err.message));
    }
    main.removeAttribute('aria-busy');
    main.dataset.page = nav;
    main.dataset.hash = hash;
    main.dataset.ready = String(id);
    return;
  }
  main.replaceChildren(h('div', { class: 'card' }, h('h1', {}, 'Not found'), h('p', {}, 'No page at ', h('code', {}, hash))));
  main.dataset.hash = hash;
  main.dataset.ready = String(id);
}

function renderWallet() {
  const box = document.getElementById('wallet');
  const s = wallet.state;
  if (s.account) {
    const right = wallet.onRightChain();
    const spoke = !right && s.chainId ? spokeByChain(s.chainId) : null; // switched there to pay or claim
    box.replaceChildren(...[
      h('span', { class: `badge ${right || spoke ? 'confirmed' : 'failed'}`, id: 'chain-status', 'data-chain': s.chainId ? String(BigInt(s.chainId)) : '' },
        right ? `chain ${BigInt(s.chainId)}` : spoke ? `${spoke.name} (chain ${BigInt(s.chainId)})` : `wrong chain ${s.chainId ? BigInt(s.chainId) : '?'}`),
      h('span', { id: 'account', title: s.account, 'data-address': s.account }, short(s.account)),
      right ? null : h('button', { class: 'secondary', onclick: () => wallet.ensureChain().then(renderWallet) },
        spoke ? 'Back to the home chain' : 'Switch network'),
    ].filter(Boolean));
    return;
  }
  const found = wallet.available();
  const select = found.length > 1
    ? h('select', { id: 'wallet-choice', 'aria-label': 'Wallet' }, found.map((w) => h('option', { value: w.info.uuid }, w.info.name)))
    : null;
  const status = h('span', { class: 'error', role: 'alert' });
  const button = h('button', {
    id: 'connect', disabled: found.length === 0 ? true : null,
    onclick: async () => {
      button.disabled = true;
      try { await wallet.connect(select ? select.value : undefined); } catch (err) { status.textContent = err.message; button.disabled = false; }
    },
  }, found.length ? `Connect ${found.length === 1 ? found[0].info.name : 'wallet'}` : 'No wallet found');
  box.replaceChildren(...[select, button, status].filter(Boolean));
}

async function boot() {
  setDeployment(await api.get('/deployment'));
  // A page is rendered again for another account; a chain switch (to pay or claim on a spoke chain
  // in the middle of a page's flow) only updates the wallet area.
  let shownAccount = wallet.state.account;
  wallet.onChange(() => {
    renderWallet();
    if (wallet.state.account !== shownAccount) { shownAccount = wallet.state.account; render(); }
  });
  wallet.discover();
  renderWallet();
  window.addEventListener('hashchange', render);
  await render();
}

boot().catch((err) => {
  document.getElementById('main').replaceChildren(h('div', { class: 'card error', role: 'alert' }, `The API is not reachable: ${err.message}`));
});
