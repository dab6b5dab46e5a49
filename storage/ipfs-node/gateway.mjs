// The node's HTTP gateway: GET (or HEAD) /ipfs/<cid>[/<path>], as browsers and other IPFS tools
// fetch content, with the trustless gateway's verifiable responses:
//   - default: the file's bytes (UnixFS), with single byte ranges (`Range: bytes=a-b`, 206);
//   - `?format=raw` or `Accept: application/vnd.ipld.raw`: the one block the CID names;
//   - `?format=car` or `Accept: application/vnd.ipld.car`: a CAR (v1) of every block of the DAG
//     under the CID, depth first, each block once, which a client checks block by block.
// Content never changes under a CID: responses are immutable and their ETag is the CID. Offline
// like the rest of the node: a block it does not hold is a 404, never a wait.
import * as dagPb from '@ipld/dag-pb'
import { CID } from 'multiformats/cid'

const RAW = 'application/vnd.ipld.raw'
const CAR = 'application/vnd.ipld.car'
const IMMUTABLE = 'public, max-age=29030400, immutable'

class GatewayError extends Error {
  constructor (status, message) {
    super(message)
    this.status = status
  }
}

function varint (value) {
  const bytes = []
  while (value >= 0x80) {
    bytes.push((value & 0x7f) | 0x80)
    value = Math.floor(value / 128)
  }
  bytes.push(value)
  return Uint8Array.from(bytes)
}

// The CARv1 header, {roots: [cid], version: 1}, in dag-cbor (canonical: keys by length; a CID is
// tag 42 over a byte string of 0x00 and the CID's bytes), written out here.
function carHeader (cid) {
  const text = (value) => [0x60 + value.length, ...Buffer.from(value, 'ascii')]
  const link = Uint8Array.from([0x00, ...cid.bytes])
  const bytesHead = link.length < 24 ? [0x40 + link.length] : link.length < 256 ? [0x58, link.length] : [0x59, link.length >> 8, link.length & 0xff]
  return Uint8Array.from([0xa2, ...text('roots'), 0x81, 0xd8, 0x2a, ...bytesHead, ...link, ...text('version'), 0x01])
}

function responseFormat (url, req) {
  const format = url.searchParams.get('format')
  if (format === 'raw' || format === 'car') return format
  if (format !== null && format !== '') throw new GatewayError(400, `unsupported format ${JSON.stringify(format)} (raw or car)`)
  const accept = req.headers.accept ?? ''
  if (accept.includes(RAW)) return 'raw'
  if (accept.includes(CAR)) return 'car'
  return 'file'
}

// A single range of a `size`-byte file: [start, end] inclusive, or null for the whole file.
export function byteRange (header, size) {
  if (header === undefined) return null
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!match || (match[1] === '' && match[2] === '')) throw new GatewayError(416, `unsupported range ${JSON.stringify(header)} (one range: bytes=a-b, a- or -n)`)
  let start, end
  if (match[1] === '') { // the last n bytes
    start = Math.max(0, size - Number(match[2]))
    end = size - 1
  } else {
    start = Number(match[1])
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1)
  }
  if (start > end || start >= size) throw new GatewayError(416, `range ${header} is outside the ${size}-byte file`)
  return [start, end]
}

async function * dagBlocks (helia, cid, seen) {
  const key = cid.toString()
  if (seen.has(key)) return
  seen.add(key)
  const block = await helia.blockstore.get(cid, { offline: true })
  yield [cid, block]
  if (cid.code === dagPb.code) {
    for (const link of dagPb.decode(block).Links) yield * dagBlocks(helia, link.Hash, seen)
  }
}

async function write (res, bytes) {
  if (!res.write(bytes)) await new Promise((resolve) => res.once('drain', resolve))
}

async function sendCar (helia, cid, req, res) {
  const blocks = dagBlocks(helia, cid, new Set())
  const first = await blocks.next() // the root: missing is a 404 before any header
  const headers = { 'Content-Type': `${CAR}; version=1; order=dfs; dups=n`, ETag: `"${cid}.car"`, 'Cache-Control': IMMUTABLE, 'X-Content-Type-Options': 'nosniff' }
  res.writeHead(200, headers)
  if (req.method === 'HEAD') return res.end()
  const header = carHeader(cid)
  await write(res, varint(header.byteLength))
  await write(res, header)
  for (let step = first; !step.done; step = await blocks.next()) {
    const [blockCid, block] = step.value
    await write(res, varint(blockCid.bytes.byteLength + block.byteLength))
    await write(res, blockCid.bytes)
    await write(res, block)
  }
  res.end()
}

async function sendFile (fs, cid, path, req, res) {
  const stat = await fs.stat(cid, { offline: true, path })
  if (stat.type === 'directory') throw new GatewayError(501, `${cid}${path ? '/' + path : ''} is a directory: name a file in it`)
  const size = Number(stat.fileSize ?? stat.size)
  const range = byteRange(req.headers.range, size)
  const [start, end] = range ?? [0, size - 1]
  const length = size === 0 ? 0 : end - start + 1
  const headers = { 'Content-Type': 'application/octet-stream', 'Content-Length': length, 'Accept-Ranges': 'bytes', ETag: `"${stat.cid}"`, 'Cache-Control': IMMUTABLE, 'X-Ipfs-Path': `/ipfs/${cid}${path ? '/' + path : ''}` }
  if (range !== null) headers['Content-Range'] = `bytes ${start}-${end}/${size}`
  res.writeHead(range === null ? 200 : 206, headers)
  if (req.method === 'HEAD' || length === 0) return res.end()
  for await (const chunk of fs.cat(stat.cid, { offline: true, offset: start, length })) await write(res, chunk)
  res.end()
}

// Answers a /ipfs/ request; returns after the response ended (or failed).
export async function serveGateway (helia, fs, req, res, url) {
  try {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new GatewayError(405, `${req.method} not allowed: the gateway takes GET and HEAD`)
    const [, , text, ...rest] = url.pathname.split('/')
    let cid
    try {
      cid = CID.parse(text ?? '')
    } catch (err) {
      throw new GatewayError(400, `invalid CID ${JSON.stringify(text ?? '')}: ${err.message}`)
    }
    const path = rest.filter((part) => part !== '').map(decodeURIComponent).join('/')
    const format = responseFormat(url, req)
    if (format === 'raw') {
      if (path) throw new GatewayError(400, 'a raw block is named by its CID alone, without a path')
      const block = await helia.blockstore.get(cid, { offline: true })
      res.writeHead(200, { 'Content-Type': RAW, 'Content-Length': block.byteLength, ETag: `"${cid}.raw"`, 'Cache-Control': IMMUTABLE, 'X-Content-Type-Options': 'nosniff' })
      return res.end(req.method === 'HEAD' ? undefined : block)
    }
    if (format === 'car') {
      if (path) throw new GatewayError(400, 'a CAR is served for a CID alone, without a path')
      return await sendCar(helia, cid, req, res)
    }
    return await sendFile(fs, cid, path, req, res)
  } catch (err) {
    const missing = err.name === 'NotFoundError' || err.code === 'ERR_NOT_FOUND' || err.code === 'ENOENT'
    const status = err instanceof GatewayError ? err.status : missing ? 404 : 500
    const message = missing ? 'not found on this node (it is offline and fetches nothing)' : err.message
    if (res.headersSent) return res.destroy(err)
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...(status === 405 ? { Allow: 'GET, HEAD' } : {}) })
    res.end(message + '\n')
  }
}
