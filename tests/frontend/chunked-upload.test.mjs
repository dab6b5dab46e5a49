// The web app's chunked dataset upload (frontend/js/publish/chunked-upload.js) against a fake
// storage node that keeps the protocol of storage/ipfs-node/server.mjs (tested for real in
// tests/storage/test_datasets_ipfs.py): chunks in order, a failed chunk sent again, the import
// options that give kubo's CID, progress after each chunk.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uploadInChunks } from '../../frontend/js/publish/chunked-upload.js';

function fakeNode({ failChunkAt = null, failStatus = 503 } = {}) {
  const calls = [];
  let staged = new Uint8Array(0);
  let failed = false;
  const reply = (status, body) => ({ ok: status < 300, status, json: async () => body });
  const fetchImpl = async (url, { body }) => {
    const u = new URL(url);
    const command = u.pathname.split('/').pop();
    calls.push({ command, params: Object.fromEntries(u.searchParams) });
    if (command === 'start') return reply(200, { Id: 'a'.repeat(32) });
    if (command === 'chunk') {
      const offset = Number(u.searchParams.get('offset'));
      if (offset === failChunkAt && !failed) { failed = true; return reply(failStatus, { Message: 'busy', Type: 'error' }); }
      const bytes = new Uint8Array(await body.arrayBuffer());
      if (offset === staged.length) staged = new Uint8Array([...staged, ...bytes]);
      return reply(200, { Size: staged.length });
    }
    return reply(200, { Hash: `cid-of-${staged.length}-bytes`, Size: String(staged.length) });
  };
  return { calls, fetchImpl, staged: () => staged };
}

test('uploadInChunks: sends the file in order and finishes with kubo import options', async () => {
  const bytes = new Uint8Array(2500).map((_, i) => i % 251);
  const node = fakeNode();
  const progress = [];
  const result = await uploadInChunks(new Blob([bytes]), 'http://node:5001/', {
    chunkBytes: 1000, fetchImpl: node.fetchImpl, onProgress: (done, total) => progress.push([done, total]) });
  assert.deepEqual(result, { uri: 'ipfs://cid-of-2500-bytes', size: 2500 });
  assert.deepEqual(node.staged(), bytes);
  assert.deepEqual(node.calls.map((c) => c.command), ['start', 'chunk', 'chunk', 'chunk', 'finish']);
  assert.deepEqual(node.calls.slice(1, 4).map((c) => c.params.offset), ['0', '1000', '2000']);
  const finish = node.calls.at(-1).params;
  assert.equal(finish.size, '2500');
  assert.equal(finish['cid-version'], '1');
  assert.equal(finish.chunker, 'size-262144');
  assert.deepEqual(progress, [[0, 2500], [1000, 2500], [2000, 2500], [2500, 2500]]);
});

test('uploadInChunks: a chunk that fails transiently is sent again', async () => {
  const node = fakeNode({ failChunkAt: 1000 });
  const result = await uploadInChunks(new Blob([new Uint8Array(1500)]), 'http://node:5001', { chunkBytes: 1000, fetchImpl: node.fetchImpl });
  assert.equal(result.size, 1500);
  assert.deepEqual(node.calls.map((c) => c.params.offset).filter(Boolean), ['0', '1000', '1000']);
});

test('uploadInChunks: a refused chunk stops the upload with the node\'s message', async () => {
  const node = fakeNode({ failChunkAt: 0, failStatus: 409 });
  await assert.rejects(uploadInChunks(new Blob([new Uint8Array(10)]), 'http://node:5001', { fetchImpl: node.fetchImpl }),
    /storage node: busy/);
});
