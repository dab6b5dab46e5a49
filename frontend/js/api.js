// The JSON API: every failure becomes an ApiError carrying the server's message.
export class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

async function call(path, options = {}) {
  let response;
  try {
    response = await fetch(path, options);
  } catch (err) {
    throw new ApiError(0, 'network', `cannot reach the API: ${err.message}`);
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const e = body && body.error;
    throw new ApiError(response.status, e ? e.code : 'http', e ? e.message : `HTTP ${response.status}`);
  }
  return body;
}

export const api = {
  get: (path) => call(`/api${path}`),
  postJson: (path, data) => call(`/api${path}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(data) }),
  upload: (kind, file) => {
    const form = new FormData();
    form.append('file', file);
    return call(`/api/uploads?kind=${encodeURIComponent(kind)}`, { method: 'POST', body: form });
  },
};
