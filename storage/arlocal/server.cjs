// arlocal (a local Arweave gateway that mines on request) for the devnet and the tests, bound to
// one address (127.0.0.1 by default) instead of every interface, with its database in --dbpath.
//
//   node storage/arlocal/server.cjs --dbpath DIR [--host 127.0.0.1] [--port 1984] [--persist]
//
// arlocal writes a request log to ./logs, so this script runs from inside DIR. Mint test AR with
// GET /mint/<address>/<winston> and confirm pending transactions with GET /mine.
//
// Two fixes to arlocal 1.1.66 for large and repetitive payloads, both here, none in node_modules:
// - POST /chunk looked up the last chunk by reading every stored chunk (quadratic in the data
//   stored): it now reads one offset through an index.
// - GET /<txid> of chunked data dropped chunks whose bytes repeat an earlier chunk (a file with
//   two equal 256 KiB chunks came back short): it now serves one chunk per position, in the order
//   of the end offsets that the chunks' merkle proofs (data_path) commit to, streamed.
'use strict'

const { createServer } = require('node:http')
const { mkdirSync } = require('node:fs')
const { resolve } = require('node:path')
const { Readable } = require('node:stream')
const { parseArgs } = require('node:util')
const ArLocal = require('arlocal').default
const { ChunkDB } = require('arlocal/bin/db/chunks')

const { values: args } = parseArgs({
  options: {
    dbpath: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '1984' },
    persist: { type: 'boolean', default: false }
  }
})
if (!args.dbpath) {
  console.error('usage: server.cjs --dbpath DIR [--host 127.0.0.1] [--port 1984] [--persist]')
  process.exit(2)
}
const root = resolve(args.dbpath)
mkdirSync(root, { recursive: true })
process.chdir(root)

const arlocal = new ArLocal(Number(args.port), false, resolve(root, 'db'), args.persist)
// arlocal calls koa's app.listen(port), which binds every interface: bind the chosen host only.
arlocal.app.listen = function listen (port, callback) {
  return createServer(this.callback()).listen(port, args.host, callback)
}

ChunkDB.prototype.getLastChunkOffset = async function getLastChunkOffset () {
  const row = await this.connection('chunks').select('offset').orderBy('offset', 'desc').first()
  return row && row.offset ? row.offset : 0
}

function b64UrlToBuffer (text) {
  return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
}

// The end offset a chunk's proof commits to: the last 32 bytes of data_path, big-endian.
function endOffset (dataPath) {
  return BigInt('0x' + (b64UrlToBuffer(dataPath).subarray(-32).toString('hex') || '0'))
}

async function chunkedData (ctx, next) {
  const txid = ctx.path.slice(1)
  const db = arlocal.connection
  const tx = await db('transactions').select('data_root', 'data_size', 'bundledIn').where({ id: txid }).first()
  if (!tx || !tx.data_root || !Number(tx.data_size) || (tx.bundledIn || '').length) return next()
  const rows = await db('chunks').select('id', 'data_path').where({ data_root: tx.data_root })
  const byEnd = new Map()
  for (const row of rows) {
    const end = endOffset(row.data_path)
    if (!byEnd.has(end)) byEnd.set(end, row.id)
  }
  const ids = [...byEnd.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1])
  if (ids.length === 0) return next()
  async function * chunks () {
    for (const id of ids) {
      const row = await db('chunks').select('chunk').where({ id }).first()
      yield b64UrlToBuffer(row.chunk)
    }
  }
  ctx.type = 'application/octet-stream'
  ctx.length = Number(tx.data_size)
  ctx.body = Readable.from(chunks(), { objectMode: false }) // a byte stream: koa-json leaves it alone
}
arlocal.router.get(/^\/[a-zA-Z0-9_-]{43}$/, chunkedData) // registered before arlocal's own routes

async function main () {
  await arlocal.start()
  await arlocal.connection.raw('CREATE INDEX IF NOT EXISTS chunks_offset ON chunks ("offset")')
  await arlocal.connection.raw('CREATE INDEX IF NOT EXISTS chunks_data_root ON chunks (data_root)')
  const announce = () => console.log(`arlocal listening on http://${args.host}:${args.port} db ${root}`)
  if (arlocal.server.listening) announce()
  else arlocal.server.once('listening', announce)
}

let stopping = false
function stop (signal) {
  if (stopping) return
  stopping = true
  console.log(`arlocal stopping (${signal})`)
  arlocal.stop().finally(() => setTimeout(() => process.exit(0), 200))
}
process.on('SIGTERM', () => stop('SIGTERM'))
process.on('SIGINT', () => stop('SIGINT'))

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
