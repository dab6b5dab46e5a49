// A proposal to change one governed parameter (GET /api/proposals/parameters): pick the contract
// and setter, see its value now, write the new value(s) and a description, simulate the call as
// the timelock will make it (a value the contract refuses is named before anything is sent), then
// propose it to the governor from the connected wallet.
import { ethers } from '/vendor/ethers.js';
import { contract, describeError } from '../chain.js';
import { h } from '../dom.js';
import { send } from '../tx.js';
import * as wallet from '../wallet.js';

const shown = (value) => {
  if (value === null || value === undefined) return '— (keyed: per token or strategy)';
  return typeof value === 'string' ? value : JSON.stringify(value);
};

function parseArg(input, text) {
  if (input.components) return JSON.parse(text);
  if (input.type === 'bool') {
    if (!['true', 'false'].includes(text)) throw new Error(`${input.name}: true or false`);
    return text === 'true';
  }
  if (input.type.startsWith('uint') || input.type.startsWith('int')) return BigInt(text);
  if (input.type === 'address' && !ethers.isAddress(text)) throw new Error(`${input.name}: not an address`);
  return text;
}

export function proposeForm(parameters, act) {
  const byName = new Map(parameters.items.map((p) => [p.name, p]));
  const select = h('select', { id: 'proposal-parameter', 'aria-label': 'Parameter' },
    parameters.items.map((p) => h('option', { value: p.name }, p.name)));
  const current = h('dd', { id: 'proposal-current', class: 'mono' });
  const args = h('div', { id: 'proposal-args' });
  const description = h('textarea', { id: 'proposal-description', 'aria-label': 'Description', rows: 2,
    placeholder: 'What changes and why: voters read this' });
  const verdict = h('p', { id: 'proposal-simulation', 'aria-live': 'polite' });

  function render() {
    const p = byName.get(select.value);
    current.textContent = shown(p.current);
    args.replaceChildren(...p.inputs.map((input, i) => h('label', {}, `${input.name || `value ${i + 1}`} (${input.components ? 'JSON' : input.type})`,
      h('input', { id: `proposal-arg-${i}`, 'aria-label': input.name || `value ${i + 1}`,
        value: input.components && p.current ? JSON.stringify(p.current) : '' }))));
    verdict.replaceChildren();
  }

  function call() {
    const p = byName.get(select.value);
    const values = p.inputs.map((input, i) => parseArg(input, document.getElementById(`proposal-arg-${i}`).value.trim()));
    const target = new ethers.Contract(p.address, [{ type: 'function', name: p.setter, inputs: p.inputs, outputs: [], stateMutability: 'nonpayable' }]);
    return { p, target, values, data: target.interface.encodeFunctionData(p.setter, values) };
  }

  async function simulate() {
    try {
      const { target, values, p } = call();
      await target.connect(wallet.reader())[p.setter].staticCall(...values, { from: parameters.timelock });
      verdict.className = 'ok';
      verdict.dataset.ok = 'true';
      verdict.textContent = `As the timelock, ${p.name} accepts these values.`;
      return true;
    } catch (err) {
      verdict.className = 'error';
      verdict.dataset.ok = 'false';
      verdict.textContent = `Refused: ${describeError(err)}`;
      return false;
    }
  }

  select.addEventListener('change', render);
  render();
  return h('div', { class: 'card', id: 'new-proposal' }, h('h2', {}, 'New proposal'),
    h('label', {}, 'Parameter', select), h('dl', { class: 'kv' }, h('dt', {}, 'Now'), current), args,
    h('label', {}, 'Description', description), verdict,
    h('div', { class: 'actions' },
      h('button', { class: 'secondary', id: 'proposal-simulate', onclick: simulate }, 'Simulate'),
      h('button', { id: 'proposal-submit', onclick: async () => {
        if (!description.value.trim()) { verdict.className = 'error'; verdict.textContent = 'A description is needed.'; return; }
        if (!(await simulate())) return;
        const { p, data } = call();
        await act('Propose', (signer) => send(`Propose ${p.name}`, contract('NNCGovernor', signer).propose,
          [[p.address], [0n], [data], description.value.trim()]));
      } }, 'Propose')));
}
