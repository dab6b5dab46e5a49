// An injected EIP-1193 wallet for the browser tests, in place of the MetaMask extension. It announces
// itself by EIP-6963 only (no window.ethereum), starts on chain 1 so the app must switch to (and add)
// the devnet, and forwards every request to anvil through `window.__nncRpc`, a function the test
// exposes from Node (with the chain id the wallet is on, so a two-chain test routes it). Anvil signs eth_sendTransaction for its unlocked dev accounts; the account the
// wallet shows is whatever the test set with `__nncAccount`.
(() => {
  const listeners = {};
  const calls = [];
  const added = new Map();
  let chainId = '0x1';

  function emit(event, value) { (listeners[event] || []).forEach((fn) => fn(value)); }

  // To the RPC of chain `on` (default: the chain the wallet is on; the test maps ids to RPCs).
  async function forward(method, params, on = chainId) {
    const reply = await window.__nncRpc({ jsonrpc: '2.0', id: 1, method, params: params || [] }, on);
    if (reply.error) {
      const err = new Error(reply.error.message);
      err.code = reply.error.code;
      err.data = reply.error.data;
      throw err;
    }
    return reply.result;
  }

  const provider = {
    isNncTestWallet: true,
    async request({ method, params }) {
      calls.push({ method, params: params || [] });
      switch (method) {
        case 'eth_requestAccounts':
        case 'eth_accounts':
          return [await window.__nncAccount()];
        case 'eth_chainId':
          return chainId;
        case 'net_version':
          return String(BigInt(chainId));
        case 'wallet_switchEthereumChain': {
          const wanted = params[0].chainId;
          if (wanted !== '0x1' && !added.has(wanted)) {
            const err = new Error(`Unrecognized chain ID ${wanted}. Try adding the chain using wallet_addEthereumChain first.`);
            err.code = 4902;
            throw err;
          }
          chainId = wanted;
          emit('chainChanged', chainId);
          return null;
        }
        case 'wallet_addEthereumChain': {
          const real = await forward('eth_chainId', [], params[0].chainId);
          if (params[0].chainId !== real) {
            const err = new Error(`chain id ${params[0].chainId} does not match the RPC's ${real}`);
            err.code = -32602;
            throw err;
          }
          added.set(params[0].chainId, params[0]);
          chainId = params[0].chainId;
          emit('chainChanged', chainId);
          return null;
        }
        default:
          return forward(method, params);
      }
    },
    on(event, fn) { (listeners[event] ||= []).push(fn); return provider; },
    removeListener(event, fn) { listeners[event] = (listeners[event] || []).filter((x) => x !== fn); return provider; },
  };

  const info = Object.freeze({
    uuid: '6b1f4a7e-3c2d-4e8f-9a10-5b6c7d8e9f00', name: 'NNC Test Wallet', rdns: 'org.nnc.testwallet',
    icon: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 8 8'%3E%3Crect width='8' height='8'/%3E%3C/svg%3E",
  });
  const announce = () => window.dispatchEvent(new CustomEvent('eip6963:announceProvider', { detail: Object.freeze({ info, provider }) }));
  window.addEventListener('eip6963:requestProvider', announce);
  announce();
  window.__nncWallet = { calls, added, emit, chainId: () => chainId };
})();
