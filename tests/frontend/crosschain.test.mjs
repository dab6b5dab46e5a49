// The web app's encoding of a spoke-chain task (frontend/js/crosschain/spokes.js): the bytes it
// hands SpokeGateway.publish must decode, at home, as HomeGateway.decodeTaskParams reads them
// (the compiled ABI's tuple, field by field), or the home gateway refuses the PUBLISH as malformed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ethers } from '/vendor/ethers.js';
import { encodeTaskParams } from '../../frontend/js/crosschain/spokes.js';

const artifact = JSON.parse(readFileSync(new URL('../../build/contracts/HomeGateway.json', import.meta.url), 'utf8'));
const decode = artifact.abi.find((e) => e.name === 'decodeTaskParams');

test('spoke task params decode as the home gateway reads them', () => {
  const params = {
    specDigest: `0x${'ab'.repeat(32)}`, specURI: 'ipfs://bafy-spec', token: ethers.ZeroAddress, budget: 5n * 10n ** 17n,
    replication: 2, strategy: '0x00000000000000000000000000000000000000aa', collateral: 10n ** 19n, minHardwareClass: 1,
    applyDeadline: 1_800_000_060, deadline: 1_800_000_600, computeUnits: 12345, minReputation: 250,
  };
  const encoded = encodeTaskParams(params);
  const [decoded] = ethers.AbiCoder.defaultAbiCoder().decode([ethers.ParamType.from(decode.outputs[0])], encoded);
  const names = decode.outputs[0].components.map((c) => c.name);
  assert.deepEqual(names, Object.keys(params), 'field order of ITaskMarket.TaskParams changed: update TASK_PARAMS');
  for (const name of names) {
    const want = params[name];
    const got = decoded[name];
    assert.equal(typeof want === 'string' ? String(got).toLowerCase() : BigInt(got), typeof want === 'string' ? want.toLowerCase() : BigInt(want), name);
  }
});
