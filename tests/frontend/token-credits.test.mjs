// The spoke card's token credits and "Send to home" (frontend/js/crosschain/token-credits.js): the
// amount typed, the interchain gas read from a warp router's quote, the recipient's padding, which
// tokens are read, and the compiled SpokeGateway entries the card calls, by name and argument order.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ethers } from '/vendor/ethers.js';
import {
  creditKey, interchainGas, recipientOf, sendAmount, tokensToRead,
} from '../../frontend/js/crosschain/token-credits.js';

const UNIT = 10n ** 18n;
const ACCOUNT = '0x70997970c51812dc3a010c7d01b50e0d17dc79c8';
const TOKEN = '0x5FbDB2315678afecb367f032d93F642f64180aa3';

test('a typed amount within the credit, in the token\'s decimals', () => {
  assert.deepEqual(sendAmount(' 0.5 ', 2n * UNIT, 'SUSD', 18), { value: UNIT / 2n });
  assert.deepEqual(sendAmount('2', 2n * UNIT, 'SUSD', 18), { value: 2n * UNIT }, 'the whole credit');
  assert.deepEqual(sendAmount('1.25', 2_000_000n, 'USDC', 6), { value: 1_250_000n });
});

test('a typed amount that is not a positive amount within the credit is refused with the reason', () => {
  assert.match(sendAmount('2.0000001', 3n * UNIT, 'USDC', 6).problem, /at most 6 decimals/);
  assert.match(sendAmount('', UNIT, 'SUSD', 18).problem, /enter an amount of SUSD/);
  assert.match(sendAmount('abc', UNIT, 'SUSD', 18).problem, /not "abc"/);
  assert.match(sendAmount('0', UNIT, 'SUSD', 18).problem, /positive amount of SUSD/);
  assert.match(sendAmount('-1', UNIT, 'SUSD', 18).problem, /positive amount/);
  assert.equal(sendAmount('1000', 2n * UNIT, 'SUSD', 18).problem, '1000 SUSD is more than your credit (2 SUSD)');
  assert.equal(sendAmount('2.000000000000000001', 2n * UNIT, 'SUSD', 18).problem,
    '2.000000000000000001 SUSD is more than your credit (2 SUSD)', 'one wei over');
});

test('the interchain gas is the first quote, and only in the native coin', () => {
  const quotes = [{ token: ethers.ZeroAddress, amount: 123n }, { token: TOKEN, amount: 5n * UNIT }];
  assert.equal(interchainGas(quotes, '0xrouter'), 123n);
  assert.throws(() => interchainGas([{ token: TOKEN, amount: 1n }], '0xrouter'), /0xrouter does not quote its interchain gas in the native coin/);
  assert.throws(() => interchainGas([], '0xrouter'), /native coin/);
});

test('the recipient is the account left-padded to 32 bytes, as SpokeTokens.claim_to pads it', () => {
  const padded = recipientOf(ACCOUNT);
  assert.equal(padded, `0x${'00'.repeat(12)}${ACCOUNT.slice(2)}`);
  assert.equal(ethers.getAddress(ethers.dataSlice(padded, 12)), ethers.getAddress(ACCOUNT));
  assert.throws(() => recipientOf('0x1234'));
});

test('tokens are read once each: the listed ones first, then those credited', () => {
  const other = '0x0000000000000000000000000000000000000abc';
  assert.deepEqual(tokensToRead([TOKEN], [TOKEN.toLowerCase(), other, other]), [TOKEN, ethers.getAddress(other)]);
  assert.deepEqual(tokensToRead([], []), []);
  assert.equal(creditKey({ chain_id: 31338 }, ethers.ZeroAddress), '31338-eth');
  assert.equal(creditKey({ chain_id: 31338 }, TOKEN), `31338-${TOKEN.toLowerCase()}`);
});

test('the compiled SpokeGateway has the entries the card calls, with their arguments in this order', () => {
  const { abi } = JSON.parse(readFileSync(new URL('../../build/contracts/SpokeGateway.json', import.meta.url), 'utf8'));
  const iface = new ethers.Interface(abi);
  const inputs = (name) => iface.getFunction(name).inputs.map((i) => i.type);
  assert.deepEqual(inputs('claimTo'), ['address', 'uint32', 'bytes32', 'uint256']);
  assert.equal(iface.getFunction('claimTo').payable, true);
  assert.deepEqual(inputs('warpRouters'), ['address']);
  assert.deepEqual(inputs('tokenCredits'), ['address', 'address']);
  assert.deepEqual(inputs('claimToken'), ['address']);
  assert.deepEqual(iface.getFunction('homeDomain').outputs.map((o) => o.type), ['uint32']);
  const credited = iface.getEvent('TokenCredited').inputs;
  assert.deepEqual(credited.map((i) => [i.name, i.indexed]), [['escrowId', true], ['token', true], ['account', true], ['amount', false]],
    'tokenCreditsOf filters TokenCredited by its third indexed argument');
});
