// The time publication deadlines count from (frontend/js/chain.js nextBlockTime): the next block's,
// read from the node's pending block, never before the latest block's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextBlockTime } from '../../frontend/js/chain.js';

// A provider answering getBlock from `blocks` (tag -> block, or an Error to throw).
const provider = (blocks) => ({
  async getBlock(tag) {
    const block = blocks[tag];
    if (block instanceof Error) throw block;
    return block === undefined ? null : block;
  },
});

test('nextBlockTime: a chain idle for an hour counts from the pending block', async () => {
  assert.equal(await nextBlockTime(provider({ latest: { timestamp: 1000 }, pending: { timestamp: 4600 } })), 4600);
});

test('nextBlockTime: never before the latest block', async () => {
  assert.equal(await nextBlockTime(provider({ latest: { timestamp: 1000 }, pending: { timestamp: 990 } })), 1000);
});

test('nextBlockTime: a node without a pending block gives the latest', async () => {
  assert.equal(await nextBlockTime(provider({ latest: { timestamp: 1000 }, pending: new Error('unsupported block tag') })), 1000);
  assert.equal(await nextBlockTime(provider({ latest: { timestamp: 1000n } })), 1000);
});
