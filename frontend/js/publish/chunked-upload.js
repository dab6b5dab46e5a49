// Large dataset files go straight to the storage node, in chunks, not through the API (whose
// uploads stop at 16 MiB): the API names the node's upload URL (GET /api/uploads/target; no
// secret crosses to the browser), the browser sends the file a chunk at a time to the node's
// nnc/upload endpoints (storage/ipfs-node/server.mjs) and the node imports it as `ipfs add`
// would. A failed chunk is sent again (the node acknowledges a chunk it already holds).

export const CHUNK_BYTES = 8 * 1024 * 1024;
const TRIES = 3;
// kubo's import defaults, which nnc.storage.ipfs checks every CID against.
const IMPORT = { 'cid-version': '1', 'raw-leaves': 'true', chunker: 'size-262144', pin: 'true' };

async function post(fetchImpl, url, params, body) {
  const query = new URLSearchParams(params).toString();
  let response;
  try {
    response = await fetchImpl(`${url}?${query}`, { method: 'POST', body });
  } catch (err) {
    throw Object.assign(new Error(`cannot reach the storage node: ${err.message}`), { transient: true });
  }
  const answer = await response.json().catch(() => null);
  if (!response.ok) {
    const message = (answer && answer.Message) || `HTTP ${response.status}`;
    throw Object.assign(new Error(`storage node: ${message}`), { transient: response.status >= 500 });
  }
  return answer;
}

async function withRetries(action) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await action();
    } catch (err) {
      if (!err.transient || attempt >= TRIES) throw err;
    }
  }
}

// Uploads `file` (a Blob) to the storage node at `target` (its Kubo RPC base URL); calls
// onProgress(bytesSent, total) after each chunk; resolves to { uri: 'ipfs://<cid>', size }.
export async function uploadInChunks(file, target, { chunkBytes = CHUNK_BYTES, onProgress = () => {}, fetchImpl = fetch } = {}) {
  const base = `${target.replace(/\/+$/, '')}/api/v0/nnc/upload`;
  const { Id: id } = await withRetries(() => post(fetchImpl, `${base}/start`, {}, null));
  onProgress(0, file.size);
  for (let offset = 0; offset < file.size; offset += chunkBytes) {
    const chunk = file.slice(offset, Math.min(offset + chunkBytes, file.size));
    const { Size: received } = await withRetries(() => post(fetchImpl, `${base}/chunk`, { id, offset: String(offset) }, chunk));
    if (received !== Math.min(offset + chunkBytes, file.size)) {
      throw new Error(`storage node holds ${received} bytes after the chunk at ${offset}: upload out of step`);
    }
    onProgress(received, file.size);
  }
  const done = await withRetries(() => post(fetchImpl, `${base}/finish`, { id, size: String(file.size), ...IMPORT }, null));
  return { uri: `ipfs://${done.Hash}`, size: file.size };
}
