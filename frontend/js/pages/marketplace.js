// Marketplace: every task with status, budget, token, replication and strategy, filterable, a page
// of PAGE_SIZE at a time (the API pages over its index: thousands of tasks are never loaded at once).
import { api } from '../api.js';
import { getDeployment } from '../chain.js';
import { badge, empty, field, h, table } from '../dom.js';
import { amount, short, tokenSymbol } from '../format.js';
import { ENUMS } from '../generated/protocol.js';

// The status filter: every ITaskMarket.TaskStatus but None, as the API names them; '' is any.
const PAGE_SIZE = 50;
const STATUSES = ['', ...ENUMS.TaskStatus.filter((s) => s !== 'None').map((s) => s.toLowerCase())];

export async function marketplacePage() {
  const d = getDeployment();
  const status = h('select', { id: 'filter-status' }, STATUSES.map((s) => h('option', { value: s }, s || 'any')));
  const token = h('select', { id: 'filter-token' },
    h('option', { value: '' }, 'any'), h('option', { value: '0x0000000000000000000000000000000000000000' }, 'ETH'),
    d.addresses.NNToken ? h('option', { value: d.addresses.NNToken }, 'NNT') : null);
  const list = h('div', { id: 'task-list' });
  let offset = 0;
  const info = h('span', { id: 'page-info', class: 'muted' });
  const prev = h('button', { class: 'secondary', id: 'page-prev', onclick: () => { offset = Math.max(0, offset - PAGE_SIZE); load(); } }, 'Newer');
  const next = h('button', { class: 'secondary', id: 'page-next', onclick: () => { offset += PAGE_SIZE; load(); } }, 'Older');

  async function load() {
    const params = new URLSearchParams();
    if (status.value) params.set('status', status.value);
    if (token.value) params.set('token', token.value);
    params.set('limit', String(PAGE_SIZE));
    params.set('offset', String(offset));
    try {
      const page = await api.get(`/tasks?${params}`);
      prev.disabled = offset === 0;
      next.disabled = offset + page.items.length >= page.total;
      info.textContent = page.total ? `${offset + 1}–${offset + page.items.length} of ${page.total}` : '';
      if (page.items.length === 0) { list.replaceChildren(empty('No tasks match.')); return; }
      list.replaceChildren(table(['Task', 'Status', 'Budget', 'Replication', 'Strategy', 'Requester'],
        page.items.map((t) => [
          h('a', { href: `#/tasks/${t.id}`, 'data-task': t.id }, `#${t.id}`), badge(t.status),
          amount(t.budget, tokenSymbol(t.token, d)), `${t.submissions}/${t.replication}`,
          t.strategy_name || short(t.strategy), h('span', { class: 'mono', title: t.requester }, short(t.requester))]),
        'Tasks'), h('p', { class: 'muted' }, `${page.total} task(s), indexed to block ${page.indexed_block}`));
    } catch (err) {
      list.replaceChildren(h('p', { class: 'error', role: 'alert' }, err.message));
    }
  }

  const refilter = () => { offset = 0; load(); };
  status.addEventListener('change', refilter);
  token.addEventListener('change', refilter);
  await load();
  const timer = setInterval(load, 4000);
  const element = h('section', {}, h('h1', {}, 'Marketplace'),
    h('div', { class: 'card actions' }, field('Status', status), field('Token', token),
      h('button', { class: 'secondary', onclick: load }, 'Refresh')),
    list, h('div', { class: 'actions' }, prev, info, next));
  return { element, cleanup: () => clearInterval(timer) };
}
