// The publish form's "pay on" choice: the home chain (any allowed token) or a spoke chain of the
// deployment (its native coin, escrowed by its SpokeGateway). Shown only when the deployment has
// spoke chains.
import { field, h } from '../dom.js';
import { spokes } from './spokes.js';

// {element, select} for the publish form, or null when there is no spoke chain.
export function payChainSection(tokenSelect) {
  const list = spokes();
  if (!list.length) return null;
  const select = h('select', { id: 'f-pay-chain', name: 'pay_chain' },
    h('option', { value: '' }, 'Home chain (the market\'s; any allowed token)'),
    list.map((s) => h('option', { value: String(s.chain_id) }, `${s.name} (chain ${s.chain_id}, native coin over Hyperlane)`)));
  const hint = h('p', { class: 'muted', id: 'pay-chain-hint' }, '');
  function update() {
    const spoke = spokeOf(select);
    if (spoke) {
      const eth = [...tokenSelect.options].find((o) => o.dataset.symbol === 'ETH');
      if (eth) tokenSelect.value = eth.value;
      hint.textContent = `The budget is escrowed on ${spoke.name} and the task published on the home chain by the gateway; `
        + `the refund comes back to ${spoke.name} (claim it there), nodes are paid on the home chain. The devnet's route trusts Hyperlane's test ISM.`;
    } else {
      hint.textContent = '';
    }
  }
  select.addEventListener('change', update);
  return {
    select,
    element: h('fieldset', { id: 'pay-chain-section' }, h('legend', {}, 'Pay on'),
      h('div', { class: 'row' }, field('Chain', select, 'where your budget is escrowed and your refund is credited')), hint),
  };
}

// The spoke chosen in `select`, or null for the home chain.
export function spokeOf(select) {
  return spokes().find((s) => String(s.chain_id) === select.value) || null;
}
