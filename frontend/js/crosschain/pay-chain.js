// The publish form's "pay on" choice: the home chain (any allowed token) or a spoke chain of the
// deployment (its native coin, or an ERC-20 its SpokeGateway allow-lists, escrowed there). Shown only
// when the deployment has spoke chains.
import { field, h } from '../dom.js';
import { spokes } from './spokes.js';

// {element, select} for the publish form, or null when there is no spoke chain.
export function payChainSection(tokenSelect) {
  const list = spokes();
  if (!list.length) return null;
  const select = h('select', { id: 'f-pay-chain', name: 'pay_chain' },
    h('option', { value: '' }, 'Home chain (the market\'s; any allowed token)'),
    list.map((s) => h('option', { value: String(s.chain_id) }, `${s.name} (chain ${s.chain_id}, over Hyperlane)`)));
  // what the budget is escrowed in on the chosen spoke: its native coin or one of its tokens
  const payToken = h('select', { id: 'f-pay-token', name: 'pay_token' });
  const tokenField = field('Pay in', payToken, 'the spoke\'s native coin, or a token routed home by a Hyperlane warp route');
  tokenField.hidden = true;
  const hint = h('p', { class: 'muted', id: 'pay-chain-hint' }, '');
  function update() {
    const spoke = spokeOf(select);
    tokenField.hidden = !spoke;
    if (spoke) {
      const eth = [...tokenSelect.options].find((o) => o.dataset.symbol === 'ETH');
      if (eth) tokenSelect.value = eth.value; // the amount is read as whole units; the token is chosen here
      payToken.replaceChildren(h('option', { value: '' }, `ETH (${spoke.name}'s native coin)`),
        ...Object.entries(spoke.tokens || {}).map(([symbol, address]) => h('option', { value: address, 'data-symbol': symbol }, `${symbol} (${address})`)));
      hint.textContent = `The budget is escrowed on ${spoke.name} and the task published on the home chain by the gateway; `
        + `the refund and the nodes' payouts come back to ${spoke.name} (claimed there; a node may choose the home chain). `
        + 'The devnet\'s route trusts Hyperlane\'s test ISM.';
    } else {
      hint.textContent = '';
    }
  }
  select.addEventListener('change', update);
  return {
    select,
    payToken,
    element: h('fieldset', { id: 'pay-chain-section' }, h('legend', {}, 'Pay on'),
      h('div', { class: 'row' }, field('Chain', select, 'where your budget is escrowed and your refund is credited'), tokenField), hint),
  };
}

// The spoke chosen in `select`, or null for the home chain.
export function spokeOf(select) {
  return spokes().find((s) => String(s.chain_id) === select.value) || null;
}
