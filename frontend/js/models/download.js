// A verified download of a model's file. The registry commits to the digest of the model's weights
// rounded as its spec rounds them (or a zero-knowledge agreement tag of it), which a browser cannot
// recompute without the framework; so the API server checks the file against that digest first, with
// the same function `nnc model get` uses, and sends the bytes with their SHA-256. The browser then
// checks the SHA-256 of the bytes it received against the one the server reported.
export const SHA256_HEADER = 'X-NNC-SHA256';
export const DIGEST_HEADER = 'X-NNC-Model-Digest';

export async function sha256Hex(bytes) {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

// What was checked, in words, for bytes whose SHA-256 is `computed`; the server reported `reported`
// and checked the weights against the registry's `modelDigest`.
export function verdict(computed, reported, modelDigest) {
  if (!reported) return { ok: false, text: 'The server reported no SHA-256: the file is not verified.' };
  if (computed !== reported.toLowerCase()) {
    return { ok: false, text: `The bytes received have SHA-256 ${computed}, not the ${reported} the server reported: refusing them.` };
  }
  return { ok: true, text: `Verified: the API server checked the weights against the registered model digest ${modelDigest} `
    + `(as nnc model get does); this browser checked the SHA-256 of the bytes received (${computed}).` };
}

// Fetches model `id`'s checked file; resolves to {ok, text, bytes, sha256, size}.
export async function verifiedDownload(id, fetchImpl = fetch) {
  let response;
  try {
    response = await fetchImpl(`/api/models/${id}/file`);
  } catch (err) {
    return { ok: false, text: `cannot reach the API: ${err.message}` };
  }
  if (!response.ok) {
    const body = await response.json().catch(() => null);
    return { ok: false, text: body && body.error ? body.error.message : `HTTP ${response.status}` };
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  const sha256 = await sha256Hex(bytes);
  return { ...verdict(sha256, response.headers.get(SHA256_HEADER), response.headers.get(DIGEST_HEADER)), bytes, sha256, size: bytes.length };
}
