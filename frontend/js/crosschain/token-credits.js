// What the dashboard's spoke card shows beyond the native-coin credit: the account's credit in every
// ERC-20 it was credited in on a spoke (SpokeGateway.tokenCredits; the tokens from its TokenCredited
// events and the deployment's list), each claimed there (claimToken, the wallet switching to the
// spoke), and, for any credit whose token has a Hyperlane warp route router on the gateway
// (WarpClaims.warpRouters; the zero address stands for the native coin), a "Send to home" control:
// SpokeGateway.claimTo to the same account on the home chain's domain, the router's interchain gas
// quoted first and paid with the call. The same logic as `nnc claim --chain <spoke> --to home`
// (nnc/cli/spoke_commands.py claim_over_routes, nnc/crosschain/token_routes.py SpokeTokens.claim_to).
import { ethers } from '/vendor/ethers.js';
import { h } from '../dom.js';
import { amount } from '../format.js';
import { send } from '../tx.js';
import * as wallet from '../wallet.js';
import { erc20 } from '../components/transaction-flow.js';
import { chainReader, homeChain, spokeGateway } from './spokes.js';

// Hyperlane's TokenRouter quote (every warp route router has it; Hyperlane's ABI, not compiled here:
// token_routes.py's ROUTER_ABI holds the same entry).
const ROUTER = ['function quoteTransferRemote(uint32 destination, bytes32 recipient, uint256 amount) '
  + 'view returns (tuple(address token, uint256 amount)[] quotes)'];

export const NATIVE = { token: ethers.ZeroAddress, symbol: 'ETH', decimals: 18 };

// The tokens whose credit to read: those the deployment lists for the spoke, then those the account
// was credited in (TokenCredited logs), each once, checksummed.
export function tokensToRead(listed, credited) {
  const byKey = new Map();
  for (const token of [...listed, ...credited]) {
    const address = ethers.getAddress(token);
    if (!byKey.has(address.toLowerCase())) byKey.set(address.toLowerCase(), address);
  }
  return [...byKey.values()];
}

// `account` as a warp transfer's recipient: its address left-padded to 32 bytes.
export function recipientOf(account) {
  return ethers.zeroPadValue(ethers.getAddress(account), 32);
}

// The interchain gas in a router's quoteTransferRemote answer: its first quote, which must be in the
// native coin (Hyperlane's convention; the others are the amount and the route's fees in its token).
export function interchainGas(quotes, router) {
  if (!quotes.length || BigInt(quotes[0].token) !== 0n) {
    throw new Error(`warp router ${router} does not quote its interchain gas in the native coin`);
  }
  return BigInt(quotes[0].amount);
}

// The amount typed to send, in base units of a token with `decimals`: {value}, or {problem} when it
// is not a positive amount within `credit`.
export function sendAmount(text, credit, symbol, decimals) {
  let value;
  try {
    value = ethers.parseUnits(String(text).trim(), decimals);
  } catch (_) {
    return { problem: `enter an amount of ${symbol} (at most ${decimals} decimals), not "${text}"` };
  }
  if (value <= 0n) return { problem: `enter a positive amount of ${symbol}` };
  if (value > credit) {
    return { problem: `${amount(value, symbol, decimals)} is more than your credit (${amount(credit, symbol, decimals)})` };
  }
  return { value };
}

// The id suffix of a credit's controls: chain id and token (`eth` for the native coin).
export function creditKey(spoke, token) {
  return `${spoke.chain_id}-${BigInt(token) === 0n ? 'eth' : token.toLowerCase()}`;
}

// Every ERC-20 `account` holds a credit of on `spoke`: [{token, symbol, decimals, credit}], credit > 0.
export async function tokenCreditsOf(spoke, account) {
  const gateway = spokeGateway(spoke);
  const listed = spoke.tokens || {};
  const logs = await gateway.queryFilter(gateway.filters.TokenCredited(null, null, account), Number(spoke.start_block || 0));
  const tokens = tokensToRead(Object.values(listed), logs.map((log) => log.args.token));
  const credits = await Promise.all(tokens.map(async (token) => ({ token, credit: await gateway.tokenCredits(token, account) })));
  const symbols = new Map(Object.entries(listed).map(([symbol, address]) => [address.toLowerCase(), symbol]));
  return Promise.all(credits.filter((c) => c.credit > 0n).map(async (c) => {
    const token = erc20(c.token, chainReader(spoke));
    const symbol = symbols.get(c.token.toLowerCase()) || await token.symbol();
    return { ...c, symbol, decimals: Number(await token.decimals()) };
  }));
}

// The credits table's rows for `spoke`'s ERC-20 credits: the amount, Claim, and the send control.
export async function tokenRows(spoke, account, act) {
  const rows = [];
  for (const c of await tokenCreditsOf(spoke, account)) {
    const key = creditKey(spoke, c.token);
    const shown = amount(c.credit, c.symbol, c.decimals);
    rows.push([spoke.name, String(spoke.chain_id),
      h('span', { id: `spoke-token-credit-${key}`, 'data-wei': String(c.credit), 'data-token': c.token, 'data-symbol': c.symbol }, shown),
      h('button', { id: `claim-token-${key}`, onclick: () => act(`Claim ${c.symbol} on ${spoke.name}`, async () => {
        const signer = await wallet.signerOn(spoke);
        await send(`Claim ${shown} on ${spoke.name}`, spokeGateway(spoke, signer).claimToken, [c.token]);
      }) }, `Claim ${c.symbol} on ${spoke.name}`),
      await sendHomeControl(spoke, account, c.credit, c, act)]);
  }
  return rows;
}

// "Send to home" for `credit` of `asset` ({token, symbol, decimals}; NATIVE for the native coin) on
// `spoke`: an amount (the whole credit by default) and the button, or a disabled button saying why
// when no warp route carries the token from there.
export async function sendHomeControl(spoke, account, credit, asset, act) {
  const key = creditKey(spoke, asset.token);
  const home = homeChain();
  const router = await spokeGateway(spoke).warpRouters(asset.token);
  if (BigInt(router) === 0n) {
    return h('button', { id: `send-home-${key}`, class: 'secondary', disabled: true,
      title: `the ${spoke.name} gateway has no Hyperlane warp route for ${asset.symbol}: claim it on ${spoke.name}` },
    `Send to ${home.name}: no warp route for ${asset.symbol}`);
  }
  const input = h('input', { id: `send-amount-${key}`, inputmode: 'decimal', value: ethers.formatUnits(credit, asset.decimals),
    'aria-label': `${asset.symbol} to send to ${home.name}` });
  return h('span', { class: 'actions' }, input, h('button', { id: `send-home-${key}`, class: 'secondary',
    disabled: credit === 0n || null, title: `over the warp route ${router}, to the same account on ${home.name}`,
    onclick: () => act(`Send ${asset.symbol} to ${home.name}`, () => sendHome(spoke, account, router, asset, credit, input.value)) },
  `Send to ${home.name}`));
}

// claimTo on `spoke`: `text` of the account's credit in `asset` to the account on the home chain.
async function sendHome(spoke, account, router, asset, credit, text) {
  const { value, problem } = sendAmount(text, credit, asset.symbol, asset.decimals);
  if (problem) throw new Error(problem);
  const home = homeChain();
  const domain = await spokeGateway(spoke).homeDomain();
  const recipient = recipientOf(account);
  const quotes = await new ethers.Contract(router, ROUTER, chainReader(spoke)).quoteTransferRemote(domain, recipient, value);
  const fee = interchainGas(quotes, router);
  const coin = await chainReader(spoke).getBalance(account);
  if (coin < fee) {
    throw new Error(`your balance on ${spoke.name} is ${amount(coin, 'ETH')}, less than the interchain gas ${amount(fee, 'ETH')}`);
  }
  const signer = await wallet.signerOn(spoke);
  await send(`Send ${amount(value, asset.symbol, asset.decimals)} from ${spoke.name} to ${home.name} (interchain gas ${amount(fee, 'ETH')})`,
    spokeGateway(spoke, signer).claimTo, [asset.token, domain, recipient, value], { value: fee });
}
