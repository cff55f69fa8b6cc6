// agree.mjs - do the C reader (kbc search) and the JS reader (assets/search/
// query.js, run in node on the same .bin files) answer every query alike?
//
// Usage: node tests/search/agree.mjs KBC_BINARY SITE_DIR [PROJECT_DIR]
// SITE_DIR is a built site; PROJECT_DIR (for ledger terms and tags) is the
// project it was built from. Queries are made deterministically (fixed
// seed) from the index's own text and vocabulary, the ledger and the note
// titles: single words, two and three words, phrases, -exclusions, field:
// forms, prefix*, one-letter typos, compounds, live mode and edge cases.
// Each query runs through `KBC search -o SITE --tsv -n 100000 [--live] Q`
// and through the JS reader; the full ranked lists (doc, score, url,
// title) must be identical. Each query is one check; prints the number of
// queries, the first lines of each difference, then "N passed, N failed".
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const assets = path.join(here, '..', '..', 'assets', 'search');
const { open } = require(path.join(assets, 'query.js'));
const tk = require(path.join(assets, 'tokenize.js'));

const [kbcArg, siteArg, projectArg] = process.argv.slice(2);
if (!kbcArg || !siteArg) {
  console.error('usage: node tests/search/agree.mjs KBC_BINARY SITE_DIR [PROJECT_DIR]');
  process.exit(2);
}
const kbc = kbcArg.includes('/') ? path.resolve(kbcArg) : kbcArg;
const site = path.resolve(siteArg);
const dir = path.join(site, 'search');
const { files } = require(path.join(assets, 'load.js'));
const s = await open(files((f) => fs.readFileSync(path.join(dir, f))));
const meta = s.meta;

// A small deterministic generator (mulberry32).
let seed = 0x6b6263;
function rand() {
  seed = (seed + 0x6D2B79F5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (a) => a[Math.floor(rand() * a.length)];

// Vocabulary: words of the documents' text with their document counts, and
// runs of consecutive words (for phrases and multi-word queries).
const texts = [];
for (let d = 0; d < meta.nDocs; d++) texts.push(await s.text(d));
const df = new Map();
const runs = [];
const compounds = new Set();
texts.forEach((text) => {
  const toks = tk.tokenize(text, 0).toks;
  const seen = new Set();
  const pieces = toks.filter((t) => !t.compound);
  for (const t of toks) {
    if (t.compound && t.whole && /^[a-z][a-z0-9]*([._:/-][a-z0-9]+)+$/i.test(text.slice(t.start, t.end))) {
      compounds.add(text.slice(t.start, t.end));
    }
    if (t.compound || t.term === null || !/^[a-z]{3,}$/.test(t.norm) || seen.has(t.norm)) continue;
    seen.add(t.norm);
    df.set(t.norm, (df.get(t.norm) || 0) + 1);
  }
  for (let i = 0; i + 3 < pieces.length; i += 7) {
    const w = pieces.slice(i, i + 3);
    if (w.every((p) => /^[a-z]+$/i.test(p.norm)) && w[2].pos === w[0].pos + 2) runs.push(w.map((p) => p.norm));
  }
});
const words = [...df.keys()].sort((a, b) => df.get(b) - df.get(a) || (a < b ? -1 : 1));
const long = words.filter((w) => w.length >= 5);
if (words.length < 20 || !runs.length) {
  console.log(`FAIL the index of ${site} has too little text to make queries from`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
// Evenly spread over the frequency ranking: common, middling and rare words.
const spread = (list, n) => Array.from({ length: n }, (_, i) => list[Math.floor((i + rand()) * list.length / n)]);

// Ledger terms and aliases, note tags (from PROJECT_DIR).
const ledger = [];
const tags = [];
if (projectArg) {
  const notes = path.join(path.resolve(projectArg), 'notes');
  const lf = path.join(notes, 'ledger.yaml');
  if (fs.existsSync(lf)) {
    for (const m of fs.readFileSync(lf, 'utf8').matchAll(/^\s*-?\s*term:\s*"?([^"\n]+?)"?\s*$/gm)) ledger.push(m[1]);
  }
  const walk = (d) => fs.readdirSync(d, { withFileTypes: true }).forEach((e) => {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith('.md')) {
      const m = fs.readFileSync(p, 'utf8').match(/^tags:\s*\[([^\]]*)\]/m);
      if (m) tags.push(...m[1].split(',').map((x) => x.trim()).filter(Boolean));
    }
  });
  if (fs.existsSync(notes)) walk(notes);
}
const titles = meta.notes.map((n) => n.title);
const headings = meta.docs.map((d) => d.heading).filter(Boolean);
const wordsOf = (s) => tk.tokenize(s, 0).toks.filter((t) => !t.compound && t.term !== null).map((t) => s.slice(t.start, t.end));

function typo(w) {
  const i = 1 + Math.floor(rand() * (w.length - 2));
  const letter = 'etaoinsrhl'[Math.floor(rand() * 10)];
  switch (Math.floor(rand() * 4)) {
    case 0: return w.slice(0, i) + letter + w.slice(i + 1);             // substitution
    case 1: return w.slice(0, i) + w.slice(i + 1);                      // deletion
    case 2: return w.slice(0, i) + letter + w.slice(i);                 // insertion
    default: return w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2);   // swap
  }
}

// [query, live]
const queries = [];
const add = (q, live = false) => { if (q && q.trim() && !q.startsWith('-')) queries.push([q, live]); };
spread(words, 30).forEach((w) => add(w));
for (let i = 0; i < 12; i++) add(`${pick(words.slice(0, 300))} ${pick(words)}`);
for (let i = 0; i < 8; i++) add(pick(runs).slice(0, 2).join(' '));
for (let i = 0; i < 8; i++) add(pick(runs).join(' '));
for (let i = 0; i < 12; i++) add(`"${pick(runs).slice(0, 2 + (i % 2)).join(' ')}"`);
for (let i = 0; i < 8; i++) add(`${pick(words.slice(0, 100))} -${pick(words.slice(0, 400))}`);
for (let i = 0; i < 3; i++) add(`${pick(words.slice(0, 50))} -"${pick(runs).slice(0, 2).join(' ')}"`);
for (const t of titles.slice(0, 6)) add(`title:${pick(wordsOf(t).length ? wordsOf(t) : ['x'])}`);
for (let i = 0; i < 5; i++) add(`heading:${pick(wordsOf(pick(headings)))}`);
for (let i = 0; i < 4 && tags.length; i++) add(`tag:${pick(tags)}`);
for (let i = 0; i < 4 && ledger.length; i++) add(`topic:${pick(wordsOf(pick(ledger)))}`);
for (let i = 0; i < 3; i++) add(`body:${pick(words.slice(0, 200))} ${pick(words.slice(0, 200))}`);
add(`alias:${pick(words.slice(0, 50))}`);
add(`${pick(words.slice(0, 50))} -title:${pick(wordsOf(pick(titles)))}`);
add(`${pick(words.slice(0, 50))} -heading:${pick(wordsOf(pick(headings)))}`);
add(`+title:${pick(wordsOf(pick(titles)))} +${pick(words.slice(0, 50))}`);
add(`${pick(words.slice(0, 50))} -body:"${pick(runs).slice(0, 2).join(' ')}"`);
add(`title:"${wordsOf(titles[0]).slice(0, 2).join(' ')}"`);
for (let i = 0; i < 10; i++) { const w = pick(words); add(`${w.slice(0, 2 + (i % 3))}*`); }
add(`${pick(words.slice(0, 50))} -${pick(words).slice(0, 3)}*`);
add('a*');
add('x*');
for (const w of spread(long, 16)) add(typo(w));
add(`${typo(pick(long))} ${pick(words.slice(0, 100))}`);
['process.nextTick', 'node:fs', 'heap --max-old-space-size', 'max-old-space-size', 'UV_THREADPOOL_SIZE',
  'heapUsed', 'nextTick', 'process.memoryUsage()', 'worker_threads', 'HTTPServer', 'setImmediate',
].forEach((q) => add(q));
[...compounds].sort().filter((_, i, a) => i % Math.max(1, Math.floor(a.length / 10)) === 0).slice(0, 10).forEach((c) => add(c));
for (const t of ledger.filter((_, i) => i % Math.max(1, Math.floor(ledger.length / 12)) === 0).slice(0, 12)) add(t);
for (const t of ledger.slice(0, 4)) add(`"${t}"`);
for (const t of titles.slice(0, 4)) add(t);
// Live mode: partial last words, a finished last word, a trailing space.
for (let i = 0; i < 10; i++) {
  const r = pick(runs);
  add(`${r[0]} ${r[1].slice(0, 2 + (i % 4))}`, true);
}
for (let i = 0; i < 4; i++) add(pick(words).slice(0, 3), true);
add(`${pick(words.slice(0, 50))} `, true);
add(`${pick(long)}`, true);
add('"event loo', true);
add('title:str', true);
add('node:f', true);
// Edge cases of the query language.
['the', 'the of and', '""', '"the of"', 'zzzzqqqq', '+event +loop', 'title:', 'TITLE:loop', 'title: loop',
  'loop -', 'café', 'ÉVÉNEMENT', 'loop"', '"loop', 'event  loop\t', 'nosuchfield:loop', 'a.b', '***',
  'node:f*', 'process.next*', 'title:str*', 'heapUsd', 'proces.nextTick', 'event,loop', 'timers,poll*',
  'ooutput', 'v8 heap', '404', '100ms', 'x'.repeat(70), `${'abc'.repeat(30)}.loop`, 'loop "the"', 'loop a*',
].forEach((q) => add(q));
['event lo ', 'event,lo', 'title:lo', 'heap -lo', '"event" lo', 'process.next'].forEach((q) => add(q, true));

let passed = 0;
let failed = 0;
let withResults = 0;
for (const [q, live] of queries) {
  const args = ['search', '-o', site, '--tsv', '-n', '100000'];
  if (live) args.push('--live');
  args.push(q);
  const r = spawnSync(kbc, args, { cwd: site, encoding: 'utf8', maxBuffer: 1 << 28 });
  const label = `${live ? 'live ' : ''}${JSON.stringify(q)}`;
  if (r.status !== 0) {
    failed++;
    console.log(`FAIL ${label}: kbc search exited with ${r.status}: ${r.error ? r.error.message : r.stderr.trim()}`);
    continue;
  }
  let js;
  try {
    const res = await s.search(q, live);
    js = res.hits.map((h, i) => {
      const d = s.doc(h.doc);
      return `${i + 1}\t${h.doc}\t${h.score}\t${d.url}${d.anchor ? '#' + d.anchor : ''}\t${d.title}${d.heading ? ' > ' + d.heading : ''}`;
    });
  } catch (e) {
    failed++;
    console.log(`FAIL ${label}: the JS reader threw: ${e.message}`);
    continue;
  }
  const c = r.stdout.split('\n').filter(Boolean);
  if (c.length) withResults++;
  const diff = [];
  for (let i = 0; i < Math.max(c.length, js.length) && diff.length < 5; i++) {
    if (c[i] !== js[i]) diff.push(`  #${i + 1}: C ${c[i] ?? '(none)'} | JS ${js[i] ?? '(none)'}`);
  }
  if (diff.length) {
    failed++;
    console.log(`FAIL ${label}: C ${c.length} results, JS ${js.length}`);
    diff.forEach((x) => console.log(x));
  } else {
    passed++;
  }
}
console.log(`queries: ${queries.length} (${withResults} with results)`);
if (queries.length < 120 || withResults < queries.length / 2) {
  failed++;
  console.log('FAIL too few queries, or too few with results, to show agreement');
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
