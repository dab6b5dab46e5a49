// The round timeline's pure part (frontend/js/components/round-timeline.js): the API's round book
// (GET /api/tasks/{id}/rounds) turned into the grid the task page shows, nodes by rounds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shareText, shortDigest, timelineGrid } from '../../frontend/js/components/round-timeline.js';

const A = '0x1111111111111111111111111111111111111111';
const B = '0x2222222222222222222222222222222222222222';
const C = '0x3333333333333333333333333333333333333333'; // the straggler, replaced after round 2
const D = '0x4444444444444444444444444444444444444444'; // its replacement, from round 3
const digest = (n) => `0x${String(n).repeat(64).slice(0, 64)}`;
const commitment = (n, start = digest(9)) => ({ delta_digest: digest(n), start_digest: start, uri: `local://delta-${n}`, committed_at: 100 + n });
const cell = (node, status, c = null, startDisagrees = false) => ({ node, status, commitment: c, start_disagrees: startDisagrees });

// As the API answers for the round book's e2e (a straggler replaced, round 2 flagged), here frozen
// by a refutation in round 3.
const BODY = {
  task_id: 7, status: 'frozen', nodes: 3, rounds: 3, round_duration: 120, current_round: 3, closed_rounds: 2,
  refuted_round: 3, vacant_seats: 0, max_missed_rounds: 2, total_contributed: 4, started_at: 1,
  members: [
    { node: A, seat: 1, replaced: false, joined_round: 1, missed: 0, contributed: 2, share_bps: 5000 },
    { node: B, seat: 2, replaced: false, joined_round: 1, missed: 0, contributed: 2, share_bps: 5000 },
    { node: C, seat: 0, replaced: true, joined_round: 1, missed: 2, contributed: 0, share_bps: 0 },
    { node: D, seat: 3, replaced: false, joined_round: 3, missed: 0, contributed: 0, share_bps: 0 },
  ],
  timeline: [
    { round: 1, status: 'closed', deadline: 50, closed_at: 60, commits: 2, flagged: false, start_digest: digest(9),
      cells: [cell(A, 'counted', commitment(1)), cell(B, 'counted', commitment(2)), cell(C, 'missed'), cell(D, 'not_seated')] },
    { round: 2, status: 'closed', deadline: 70, closed_at: 80, commits: 2, flagged: true, start_digest: digest(8),
      cells: [cell(A, 'counted', commitment(3, digest(8))), cell(B, 'counted', commitment(4, digest(5)), true), cell(C, 'missed'), cell(D, 'not_seated')] },
    { round: 3, status: 'open', deadline: 1_700_000_000, closed_at: 0, commits: 2, flagged: false, start_digest: digest(7),
      cells: [cell(A, 'refuted', commitment(6, digest(7))), cell(B, 'committed', commitment(7, digest(7))), cell(C, 'not_seated'), cell(D, 'pending')] },
  ],
};

test('timelineGrid: one row per node, one cell per round, in the API order', () => {
  const grid = timelineGrid(BODY);
  assert.deepEqual(grid.rows.map((r) => r.node), [A, B, C, D]);
  assert.deepEqual(grid.columns.map((c) => [c.label, c.note]), [['Round 1', 'closed'], ['Round 2', 'closed'],
    ['Round 3', 'open until 2023-11-14 22:13:20']]);
  assert.deepEqual(grid.rows.map((r) => r.cells.map((c) => c.text)), [
    ['counted', 'counted', 'refuted'], ['counted', 'counted', 'committed'], ['missed', 'missed', 'not seated'],
    ['not seated', 'not seated', 'pending']]);
});

test('timelineGrid: each cell has its short digest, the delta URI and a label naming node, round and status', () => {
  const grid = timelineGrid(BODY);
  const refuted = grid.rows[0].cells[2];
  assert.equal(refuted.digest, `${digest(6).slice(0, 10)}…`);
  assert.equal(refuted.deltaDigest, digest(6));
  assert.equal(refuted.uri, 'local://delta-6');
  assert.equal(refuted.label, `0x1111…1111, round 3: refuted; commitment ${digest(6)}`);
  const missed = grid.rows[2].cells[0];
  assert.deepEqual([missed.digest, missed.uri, missed.deltaDigest], ['', null, null]);
});

test('timelineGrid: a flagged round is marked in its column and cells, a disagreeing start on its cell', () => {
  const grid = timelineGrid(BODY);
  assert.deepEqual(grid.flagged, [2]);
  assert.deepEqual(grid.columns.map((c) => c.flagged), [false, true, false]);
  assert.deepEqual(grid.rows[0].cells.map((c) => c.flagged), [false, true, false]);
  const wrongStart = grid.rows[1].cells[1];
  assert.equal(wrongStart.startDisagrees, true);
  assert.match(wrongStart.label, new RegExp(`stated start weights ${digest(5)} differ from the round's; round flagged$`));
  assert.equal(grid.rows[0].cells[1].startDisagrees, false);
});

test('timelineGrid: seats, shares and the book summary', () => {
  const grid = timelineGrid(BODY);
  assert.deepEqual(grid.rows.map((r) => [r.seat, r.share]), [['seat 1', '50%'], ['seat 2', '50%'],
    ['replaced after 2 missed', '0%'], ['seat 3, from round 3', '0%']]);
  assert.equal(grid.summary, 'frozen: a delta of round 3 did not replay; verified through round 2');
  assert.equal(grid.caption, 'Rounds of task #7: 3 nodes × 3 rounds of at most 120 s');
  assert.equal(timelineGrid({ ...BODY, status: 'running' }).summary, 'round 3 of 3 running');
  assert.equal(timelineGrid({ ...BODY, status: 'finished' }).summary, 'finished: 3 rounds closed');
});

test('timelineGrid: a cell is found by its node, not its position', () => {
  const shuffled = { ...BODY, timeline: BODY.timeline.map((r) => ({ ...r, cells: [...r.cells].reverse() })) };
  assert.deepEqual(timelineGrid(shuffled).rows.map((r) => r.cells.map((c) => c.status)),
    timelineGrid(BODY).rows.map((r) => r.cells.map((c) => c.status)));
});

test('timelineGrid: the spot-check\'s verdict on the pair it drew shows on that cell only', () => {
  const checked = { ...BODY, timeline: BODY.timeline.map((r) => ({ ...r,
    cells: r.cells.map((c) => (r.round === 3 && c.node === A ? { ...c, check: 'failed' } : { ...c, check: null })) })) };
  const grid = timelineGrid(checked);
  const failed = grid.rows[0].cells[2];
  assert.deepEqual([failed.check, failed.checkText], ['failed', 'did not replay']);
  assert.match(failed.label, /; spot-check: did not replay$/);
  assert.equal(grid.rows.flatMap((r) => r.cells).filter((c) => c.check).length, 1);
  assert.equal(timelineGrid(BODY).rows[0].cells[2].check, null); // an API without checks: none
});

test('shareText and shortDigest', () => {
  assert.deepEqual([4287, 1428, 10_000, 0, 5].map(shareText), ['42.87%', '14.28%', '100%', '0%', '0.05%']);
  assert.equal(shortDigest(''), '');
  assert.equal(shortDigest(null), '');
  assert.equal(shortDigest(`0xabcdef01${'0'.repeat(56)}`), '0xabcdef01…');
});
