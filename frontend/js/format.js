import { ethers } from '/vendor/ethers.js';

export const ZERO = '0x0000000000000000000000000000000000000000';

export function short(address) {
  return address ? `${address.slice(0, 6)}…${address.slice(-4)}` : '';
}

export function amount(wei, symbol = '', decimals = 18) {
  if (wei === null || wei === undefined) return '—';
  const text = ethers.formatUnits(BigInt(wei), decimals);
  const trimmed = text.includes('.') ? text.replace(/\.?0+$/, '') : text;
  return symbol ? `${trimmed} ${symbol}` : trimmed;
}

export function when(timestamp) {
  return timestamp ? new Date(Number(timestamp) * 1000).toISOString().replace('T', ' ').slice(0, 19) : '—';
}

export function tokenSymbol(token, deployment) {
  if (!token || BigInt(token) === 0n) return 'ETH';
  if (deployment && deployment.addresses.NNToken && token.toLowerCase() === deployment.addresses.NNToken.toLowerCase()) return 'NNT';
  return short(token);
}
