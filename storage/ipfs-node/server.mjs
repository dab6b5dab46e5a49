// A local IPFS node for the devnet and the tests: Helia with a filesystem blockstore, serving the
// subset of the Kubo RPC HTTP API that nnc.storage.ipfs uses, so the same Python client works
// against this node, a kubo daemon or a pinning gateway that speaks the Kubo RPC API.
//
//   node storage/ipfs-node/server.mjs --repo DIR [--host 127.0.0.1] [--port 5001] [--cors-origin ORIGIN]
//
// Endpoints (POST only, like kubo): version, add, cat, pin/add, pin/rm, block/stat, block/get.
// A read-only HTTP gateway, GET /ipfs/<cid>: files with byte ranges, raw blocks and CARs (gateway.mjs).
// Beyond kubo, a chunked upload for browsers (large files without one huge request):
// nnc/upload/start -> {Id}; nnc/upload/chunk?id=&offset= with the raw bytes as body -> {Size}
// (a chunk already received is acknowledged again, so a retried chunk is harmless);
// nnc/upload/finish?id=&size= plus add's import options -> {Hash, Size}, imported as `add` would.
// Only these answer cross-origin requests, from --cors-origin (default *).
// `add` imports with kubo's defaults (256 KiB chunks, balanced layout with 174 links per node,
// raw leaves for CIDv1), so a CID here equals kubo's for the same bytes. The node is offline:
// it never fetches blocks from the network, and a missing block is an error, not a wait.
import './node20-compat.mjs'
import { createServer } from 'node:http'
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs'
import { rm, stat } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import busboy from 'busboy'
import { createHeliaHTTP } from '@helia/http'
import { unixfs } from '@helia/unixfs'
import { FsBlockstore } from 'blockstore-fs'
import { FsDatastore } from 'datastore-fs'
import * as dagPb from '@ipld/dag-pb'
import { fixedSize } from 'ipfs-unixfs-importer/chunker'
import { balanced } from 'ipfs-unixfs-importer/layout'
import { CID } from 'multiformats/cid'
import { serveGateway } from './gateway.mjs'

const KUBO_CHUNK_SIZE = 262144
const KUBO_MAX_LINKS = 174
const MAX_CHUNK_SIZE = 1048576

const { values: args } = parseArgs({
  options: {
    repo: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '5001' },
    'cors-origin': { type: 'string', default: '*' }
  }
})
if (!args.repo) {
  console.error('usage: server.mjs --repo DIR [--host 127.0.0.1] [--port 5001]')
  process.exit(2)
}
mkdirSync(args.repo, { recursive: true })
const UPLOADS = join(args.repo, 'uploads')
mkdirSync(UPLOADS, { recursive: true })

// blockstore-fs writes each block through one temporary file per block name, so two concurrent
// writes of the same block (a file with repeated chunks) collide and the loser retries for ~1 s.
// Writes of a block already in flight wait for that write instead.
class SerialFsBlockstore extends FsBlockstore {
  #inflight = new Map()

  async put (key, value, options) {
    const id = this.shardingStrategy.encode(key).file
    const pending = this.#inflight.get(id)
    if (pending !== undefined) {
      await pending
      return key
    }
    const write = super.put(key, value, options).finally(() => this.#inflight.delete(id))
    this.#inflight.set(id, write)
    return write
  }
}

const helia = await createHeliaHTTP({
  blockstore: new SerialFsBlockstore(join(args.repo, 'blocks')),
  datastore: new FsDatastore(join(args.repo, 'datastore')),
  blockBrokers: [],
  routers: []
})
const fs = unixfs(helia)

class ApiError extends Error {
  constructor (message, status = 500, code = 0) {
    super(message)
    this.status = status
    this.code = code
  }
}

function sendJson (res, status, body) {
  const text = JSON.stringify(body)
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) })
  res.end(text)
}

// Kubo's error body: HTTP 500 with Code 0 for a failed command, 400 with Code 1 for a bad request.
function sendError (res, err, query) {
  const status = err instanceof ApiError ? err.status : 500
  const code = err instanceof ApiError ? err.code : 0
  if (err.name === 'NotFoundError' || err.code === 'ERR_NOT_FOUND' || err.code === 'ENOENT') {
    err = new Error(`block was not found locally (offline): ${query.get('arg') ?? ''}`)
  }
  if (res.headersSent) {
    res.destroy(err) // mid-stream: the client sees a truncated response, as with kubo's X-Stream-Error
    return
  }
  sendJson(res, status, { Message: err.message, Code: code, Type: 'error' })
}

function cidArg (query) {
  const arg = query.get('arg')
  if (!arg) throw new ApiError('argument "arg" is required', 400, 1)
  try {
    return CID.parse(arg.replace(/^\/ipfs\//, ''))
  } catch (err) {
    throw new ApiError(`invalid CID ${JSON.stringify(arg)}: ${err.message}`, 400, 1)
  }
}

function boolArg (query, name, fallback) {
  const value = query.get(name)
  if (value === null || value === '') return fallback
  if (value === 'true' || value === '1') return true
  if (value === 'false' || value === '0') return false
  throw new ApiError(`invalid boolean for ${name}: ${JSON.stringify(value)}`, 400, 1)
}

function importOptions (query) {
  const cidVersion = Number(query.get('cid-version') ?? '0')
  if (cidVersion !== 0 && cidVersion !== 1) throw new ApiError(`unsupported cid-version ${cidVersion}`, 400, 1)
  const rawLeaves = boolArg(query, 'raw-leaves', cidVersion === 1)
  if (cidVersion === 0 && rawLeaves) throw new ApiError('raw-leaves needs cid-version=1', 400, 1)
  if (boolArg(query, 'trickle', false)) throw new ApiError('trickle layout is not supported', 400, 1)
  const chunker = query.get('chunker') ?? `size-${KUBO_CHUNK_SIZE}`
  const match = /^size-(\d+)$/.exec(chunker)
  if (!match || Number(match[1]) < 1 || Number(match[1]) > MAX_CHUNK_SIZE) {
    throw new ApiError(`unsupported chunker ${JSON.stringify(chunker)} (expected size-N, N <= ${MAX_CHUNK_SIZE})`, 400, 1)
  }
  return {
    cidVersion,
    rawLeaves,
    chunker: fixedSize({ chunkSize: Number(match[1]) }),
    layout: balanced({ maxChildrenPerNode: KUBO_MAX_LINKS }),
    reduceSingleLeafToSelf: true
  }
}

// Kubo's `Size` of an added file: the root block plus the Tsize of each of its links.
async function cumulativeSize (cid) {
  const block = await helia.blockstore.get(cid, { offline: true })
  if (cid.code !== dagPb.code) return String(block.byteLength)
  const links = dagPb.decode(block).Links
  return String(links.reduce((sum, link) => sum + (link.Tsize ?? 0), block.byteLength))
}

// add: one file per request, read from the multipart body as a stream and imported as it arrives.
function add (req, res, query) {
  const options = importOptions(query)
  const pin = boolArg(query, 'pin', true)
  return new Promise((resolve, reject) => {
    let parser
    try {
      parser = busboy({ headers: req.headers, limits: { files: 1 } })
    } catch (err) {
      reject(new ApiError(`expected a multipart/form-data body: ${err.message}`, 400, 1))
      return
    }
    let imported = null
    parser.on('file', (field, stream, info) => {
      imported = fs.addByteStream(stream, options).then(async (cid) => {
        if (pin) await pinRecursively(cid)
        return { name: info.filename ?? field, cid }
      })
      imported.catch(() => stream.resume())
    })
    parser.on('error', (err) => reject(new ApiError(`bad multipart body: ${err.message}`, 400, 1)))
    parser.on('close', () => {
      if (imported === null) {
        reject(new ApiError('no file in the request body', 400, 1))
        return
      }
      imported.then(async ({ name, cid }) => {
        const line = JSON.stringify({ Name: name, Hash: cid.toString(), Size: await cumulativeSize(cid) })
        res.writeHead(200, { 'Content-Type': 'application/json' })
        res.end(line + '\n')
        resolve()
      }, reject)
    })
    req.on('error', reject)
    req.pipe(parser)
  })
}

async function cat (req, res, query) {
  const cid = cidArg(query)
  const offset = query.has('offset') ? Number(query.get('offset')) : undefined
  const length = query.has('length') ? Number(query.get('length')) : undefined
  const source = fs.cat(cid, { offline: true, offset, length })[Symbol.asyncIterator]()
  const first = await source.next() // fails here, before any header, when the root is missing
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'X-Content-Length': 'unknown' })
  for (let step = first; !step.done; step = await source.next()) {
    if (!res.write(step.value)) await new Promise((resolve) => res.once('drain', resolve))
  }
  res.end()
}

async function pinRecursively (cid) {
  if (await helia.pins.isPinned(cid)) return
  for await (const _ of helia.pins.add(cid, { offline: true })) { /* drain */ } // eslint-disable-line no-unused-vars
}

async function pinAdd (req, res, query) {
  const cid = cidArg(query)
  await pinRecursively(cid)
  sendJson(res, 200, { Pins: [cid.toString()] })
}

async function pinRm (req, res, query) {
  const cid = cidArg(query)
  for await (const _ of helia.pins.rm(cid)) { /* drain */ } // eslint-disable-line no-unused-vars
  sendJson(res, 200, { Pins: [cid.toString()] })
}

async function blockStat (req, res, query) {
  const cid = cidArg(query)
  const block = await helia.blockstore.get(cid, { offline: true })
  sendJson(res, 200, { Key: cid.toString(), Size: block.byteLength })
}

async function blockGet (req, res, query) {
  const cid = cidArg(query)
  const block = await helia.blockstore.get(cid, { offline: true })
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': block.byteLength })
  res.end(block)
}

// Chunked uploads: each is a staging file in the repo, appended chunk by chunk in order.
function uploadPath (query) {
  const id = query.get('id') ?? ''
  if (!/^[0-9a-f]{32}$/.test(id)) throw new ApiError(`invalid upload id ${JSON.stringify(id)}`, 400, 1)
  return join(UPLOADS, id)
}

const writing = new Set() // uploads with a chunk being appended

async function stagedSize (path) {
  try {
    return (await stat(path)).size
  } catch (err) {
    if (err.code === 'ENOENT') throw new ApiError('no such upload (never started, or already finished)', 404, 1)
    throw err
  }
}

async function uploadStart (req, res) {
  const id = randomBytes(16).toString('hex')
  await new Promise((resolve, reject) => createWriteStream(join(UPLOADS, id)).on('error', reject).end(resolve))
  sendJson(res, 200, { Id: id })
}

async function uploadChunk (req, res, query) {
  const path = uploadPath(query)
  const offset = Number(query.get('offset'))
  if (!Number.isSafeInteger(offset) || offset < 0) throw new ApiError('offset must be a byte count', 400, 1)
  const size = await stagedSize(path)
  if (offset > size) throw new ApiError(`chunk at ${offset} leaves a gap: ${size} bytes received so far`, 409, 1)
  if (offset < size) { // a retried chunk: what it covers is already here
    req.resume()
    await new Promise((resolve) => req.on('end', resolve))
    sendJson(res, 200, { Size: size })
    return
  }
  if (writing.has(path)) throw new ApiError('another chunk of this upload is being written: send chunks in order', 409, 1)
  writing.add(path)
  try {
    await new Promise((resolve, reject) => {
      const out = createWriteStream(path, { flags: 'a' })
      out.on('error', reject).on('finish', resolve)
      req.on('error', reject)
      req.pipe(out)
    })
  } finally {
    writing.delete(path)
  }
  sendJson(res, 200, { Size: await stagedSize(path) })
}

async function uploadFinish (req, res, query) {
  const path = uploadPath(query)
  const options = importOptions(query)
  const size = await stagedSize(path)
  if (query.has('size') && Number(query.get('size')) !== size) {
    throw new ApiError(`upload has ${size} bytes, expected ${query.get('size')}`, 409, 1)
  }
  const cid = await fs.addByteStream(createReadStream(path), options)
  if (boolArg(query, 'pin', true)) await pinRecursively(cid)
  await rm(path, { force: true })
  sendJson(res, 200, { Name: 'upload', Hash: cid.toString(), Size: await cumulativeSize(cid) })
}

async function version (req, res) {
  sendJson(res, 200, { Version: 'nnc-helia-node/0.1.0', Commit: '', Repo: 'helia', System: process.platform, Golang: '' })
}

const routes = {
  '/api/v0/version': version,
  '/api/v0/add': add,
  '/api/v0/cat': cat,
  '/api/v0/pin/add': pinAdd,
  '/api/v0/pin/rm': pinRm,
  '/api/v0/block/stat': blockStat,
  '/api/v0/block/get': blockGet,
  '/api/v0/nnc/upload/start': uploadStart,
  '/api/v0/nnc/upload/chunk': uploadChunk,
  '/api/v0/nnc/upload/finish': uploadFinish
}
const CROSS_ORIGIN = new Set(['/api/v0/nnc/upload/start', '/api/v0/nnc/upload/chunk', '/api/v0/nnc/upload/finish'])

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost')
  if (url.pathname.startsWith('/ipfs/')) {
    serveGateway(helia, fs, req, res, url)
    return
  }
  const handler = routes[url.pathname]
  if (CROSS_ORIGIN.has(url.pathname)) {
    res.setHeader('Access-Control-Allow-Origin', args['cors-origin'])
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'Access-Control-Allow-Methods': 'POST', 'Access-Control-Allow-Headers': 'Content-Type', 'Access-Control-Max-Age': '600' })
      res.end()
      return
    }
  }
  if (handler === undefined) {
    sendJson(res, 404, { Message: `unknown command ${url.pathname}`, Code: 0, Type: 'error' })
    return
  }
  if (req.method !== 'POST') {
    res.writeHead(405, { Allow: 'POST' })
    res.end(`${req.method} not allowed: the Kubo RPC API takes POST\n`)
    return
  }
  handler(req, res, url.searchParams).catch((err) => sendError(res, err, url.searchParams))
})

async function shutdown (signal) {
  server.close()
  await helia.stop()
  console.log(`ipfs node stopped (${signal})`)
  process.exit(0)
}
process.on('SIGTERM', () => { shutdown('SIGTERM') })
process.on('SIGINT', () => { shutdown('SIGINT') })

server.listen(Number(args.port), args.host, () => {
  const { address, port } = server.address()
  console.log(`ipfs node (Kubo RPC API) listening on http://${address}:${port} repo ${args.repo}`)
})
