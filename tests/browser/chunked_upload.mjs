// The web app's chunked upload in real headless Chromium: a dataset file larger than the API's
// upload limit goes from the browser straight to the storage node (the devnet's Helia node), in
// chunks, with progress. Driven by tests/browser/test_chunked_upload.py, which checks what the node
// stored; prints one JSON line: {uri, sha256, size, progress, target, console_errors}.
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const API = process.env.NNC_API_URL;
const SIZE = Number(process.env.NNC_UPLOAD_BYTES);
assert.ok(API && SIZE > 0, 'NNC_API_URL and NNC_UPLOAD_BYTES must be set');
const CHROMIUM = process.env.NNC_CHROMIUM || '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];

const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
try {
  const page = await browser.newPage();
  const consoleErrors = [];
  page.on('console', (message) => { if (message.type() === 'error') consoleErrors.push(message.text()); });
  await page.goto(`${API}/`);
  const outcome = await page.evaluate(async (size) => {
    const { uploadInChunks } = await import('/js/publish/chunked-upload.js');
    const target = await (await fetch('/api/uploads/target')).json();
    const bytes = new Uint8Array(size);
    let x = 0x9e3779b9;
    for (let i = 0; i < size; i += 1) { // xorshift32: incompressible, reproducible bytes
      x ^= x << 13; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
      bytes[i] = x & 0xff;
    }
    const file = new File([bytes], 'big.npz');
    const progress = [];
    const stored = await uploadInChunks(file, target.url, { chunkBytes: target.chunk_bytes,
      onProgress: (sent, total) => progress.push([sent, total]) });
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    const sha256 = [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
    return { ...stored, sha256, progress, target };
  }, SIZE);
  process.stdout.write(`${JSON.stringify({ ...outcome, console_errors: consoleErrors })}\n`);
} finally {
  await browser.close();
}
