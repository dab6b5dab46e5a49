// The round timeline of a data-parallel task (GET /api/tasks/{id}/rounds): a grid of its nodes
// (rows) by rounds (columns); each cell shows the node's status in the round, the first bytes of the
// round commitment it made (the digest binding its delta and inner state), a link to its round
// manifest (which names both) and, for the (node, round) the task's spot-check
// drew, the check's verdict; flagged rounds are marked in their column head;
// the last column is the node's share of the pay. `timelineGrid` (pure) turns the API's body into
// that grid; `roundTimeline` renders it. On a phone each node's row becomes a card of labelled cells.
import { h } from '../dom.js';
import { short, when } from '../format.js';
import { ENUMS } from '../generated/protocol.js';

export const STATUS_TEXT = {
  counted: 'counted', refuted: 'refuted', committed: 'committed', missed: 'missed', pending: 'pending', not_seated: 'not seated',
};

// The spot-check's verdict on the (node, round) it drew.
export const CHECK_TEXT = { verifying: 'being replayed', passed: 'replayed: ok', failed: 'did not replay' };

// '0x1234abcd…' for a 32-byte digest; '' for none.
export function shortDigest(digest) { return digest ? `${digest.slice(0, 10)}…` : ''; }

// Basis points as a percentage: 4287 → '42.87%'.
export function shareText(bps) { return `${(bps / 100).toFixed(2).replace(/\.?0+$/, '')}%`; }

function bookSummary(body) {
  switch (body.status) {
    case 'running': return `round ${body.current_round} of ${body.rounds} running`;
    case 'finished': return `finished: ${body.rounds} rounds closed`;
    case 'frozen': return `frozen: a delta of round ${body.refuted_round} did not replay; verified through round ${body.refuted_round - 1}`;
    default: return 'declared, waiting for its nodes';
  }
}

function roundNote(r) {
  if (r.status === 'closed') return 'closed';
  if (r.status === 'open') return `open until ${when(r.deadline)}`;
  return 'not started';
}

function seatText(m) {
  if (m.seat) return m.joined_round > 1 ? `seat ${m.seat}, from round ${m.joined_round}` : `seat ${m.seat}`;
  return m.replaced ? `replaced after ${m.missed} missed` : 'no seat';
}

// The API's round book → { summary, columns, rows } (every text the grid shows, and each cell's
// status, digest, delta URI and accessible label).
export function timelineGrid(body) {
  const columns = body.timeline.map((r) => ({
    round: r.round, status: r.status, flagged: r.flagged, note: roundNote(r),
    label: `Round ${r.round}`, startDigest: r.start_digest,
  }));
  const rows = body.members.map((m, i) => ({
    node: m.node, shortNode: short(m.node), seat: seatText(m), contributed: m.contributed,
    shareBps: m.share_bps, share: shareText(m.share_bps),
    cells: body.timeline.map((r) => {
      const cell = r.cells.find((c) => c.node === m.node) || r.cells[i];
      const c = cell.commitment;
      const parts = [`${short(m.node)}, round ${r.round}: ${STATUS_TEXT[cell.status] || cell.status}`];
      if (c) parts.push(`commitment ${c.delta_digest}`);
      if (cell.start_disagrees) parts.push(`stated start weights ${c.start_digest} differ from the round's`);
      if (r.flagged) parts.push('round flagged');
      if (cell.check) parts.push(`spot-check: ${CHECK_TEXT[cell.check] || cell.check}`);
      return {
        round: r.round, status: cell.status, text: STATUS_TEXT[cell.status] || cell.status,
        digest: c ? shortDigest(c.delta_digest) : '', deltaDigest: c ? c.delta_digest : null,
        uri: c ? c.uri : null, startDisagrees: cell.start_disagrees, flagged: r.flagged, label: parts.join('; '),
        check: cell.check || null, checkText: cell.check ? CHECK_TEXT[cell.check] || cell.check : '',
      };
    }),
  }));
  const flagged = columns.filter((c) => c.flagged).map((c) => c.round);
  return {
    summary: bookSummary(body), flagged,
    caption: `Rounds of task #${body.task_id}: ${body.nodes} nodes × ${body.rounds} rounds of at most ${body.round_duration} s`,
    facts: `${body.total_contributed} contributed round(s); ${body.vacant_seats} seat(s) open; a node is replaceable after ${body.max_missed_rounds} missed round(s)`,
    columns, rows,
  };
}

function cellElement(cell, column) {
  return h('td', { 'data-label': column.flagged ? `${column.label} ⚑ flagged` : column.label, 'data-round': cell.round, 'data-status': cell.status, 'aria-label': cell.label,
    class: cell.flagged ? 'flagged' : null },
  h('span', { class: `badge ${cell.status}` }, cell.text), ' ',
  cell.digest ? h('code', { title: cell.deltaDigest }, cell.digest) : null, ' ',
  cell.uri ? h('a', { href: cell.uri, class: 'delta-link', title: `round manifest (delta and inner state): ${cell.uri}` }, 'manifest') : null,
  cell.startDisagrees ? h('span', { class: 'error' }, ' start differs') : null,
  cell.check ? h('span', { class: `badge check-${cell.check}`, 'data-check': cell.check }, ` ${cell.checkText}`) : null);
}

// The grid as a section (an accessible table with a caption, column and row headers).
export function roundTimeline(body) {
  const grid = timelineGrid(body);
  const head = h('tr', {}, h('th', { scope: 'col' }, 'Node'),
    grid.columns.map((c) => h('th', { scope: 'col', 'data-round': c.round, 'data-flagged': c.flagged ? 'true' : 'false' },
      c.label, h('br'), h('span', { class: 'muted' }, c.note),
      c.flagged ? h('span', { class: 'flag', title: 'start digests disagree or a delta was copied: evidence for a dispute' }, ' ⚑ flagged') : null)),
    h('th', { scope: 'col' }, 'Share'));
  const rows = grid.rows.map((row) => h('tr', { 'data-node': row.node },
    h('th', { scope: 'row' }, h('span', { class: 'mono', title: row.node }, row.shortNode), h('br'), h('span', { class: 'muted' }, row.seat)),
    row.cells.map((cell, i) => cellElement(cell, grid.columns[i])),
    h('td', { 'data-label': 'Share', class: 'share' }, row.share, h('br'), h('span', { class: 'muted' }, `${row.contributed} round(s)`))));
  return h('section', { id: 'rounds', 'aria-labelledby': 'rounds-title' },
    h('h2', { id: 'rounds-title' }, 'Rounds'),
    h('p', { id: 'rounds-summary', 'data-status': body.status }, grid.summary, '. ', h('span', { class: 'muted' }, grid.facts),
      grid.flagged.length ? h('span', { class: 'error' }, ` Flagged: round ${grid.flagged.join(', ')}.`) : null),
    h('div', { class: 'table-wrap' }, h('table', { class: 'round-grid', id: 'round-timeline' },
      h('caption', { class: 'visually-hidden' }, grid.caption),
      h('thead', {}, head), h('tbody', {}, rows))));
}

const lower = (names, value) => (names[Number(value)] ?? String(value)).toLowerCase();

// A RoundBook event of the task's audit trace in words (null for an event of another contract).
export function describeRoundEvent(e) {
  if (e.contract !== 'RoundBook') return null;
  const a = e.args;
  switch (e.name) {
    case 'BookOpened': return `declared data-parallel: ${a.nodes} nodes, ${a.rounds} rounds of at most ${a.roundDuration} s, replaceable after ${a.maxMissedRounds} missed`;
    case 'BookStatusChanged': return `round book ${lower(ENUMS.BookStatus, a.from)} → ${lower(ENUMS.BookStatus, a.to)}`;
    case 'RoundStatusChanged': return `round ${a.round} ${lower(ENUMS.RoundStatus, a.from)} → ${lower(ENUMS.RoundStatus, a.to)}`;
    case 'RoundOpened': return `round ${a.round} opened, closes by ${when(a.deadline)}`;
    case 'DeltaCommitted': return `${short(a.node)} committed its round ${a.round} delta ${shortDigest(a.deltaDigest)}`;
    case 'StartDigestDisputed': return `${short(a.node)} stated round ${a.round} start weights ${shortDigest(a.stated)}, not ${shortDigest(a.expected)}: round flagged`;
    case 'DeltaDuplicated': return `${short(a.node)} committed in round ${a.round} the delta ${short(a.first)} committed: round flagged`;
    case 'RoundContributed': return `${short(a.node)} contributed round ${a.round} (${a.contributed} in all)`;
    case 'RoundMissed': return `${short(a.node)} missed round ${a.round} (${a.missed} missed)`;
    case 'SeatOpened': return `${short(a.node)} replaced after ${a.missed} missed rounds: seat ${a.seat} open`;
    case 'SeatFilled': return `${short(a.node)} took seat ${a.seat} from round ${a.round}`;
    case 'RoundRefuted': return `${short(a.node)}'s round ${a.round} delta did not replay (found by ${short(a.refuter)}): book frozen`;
    default: return null;
  }
}
