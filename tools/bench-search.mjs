#!/usr/bin/env node
// bench-search: kbc's site search against lunr, MiniSearch and Pagefind on the
// same documents. A benchmark, not a test: it prints a Markdown table and
// writes it, with the date, the machine and the command, to tools/bench-search.md.
//
//   node tools/bench-search.mjs [--vault DIR]... [--shipped] [--runs N] [--rounds N]
//                               [--kbc PATH] [--md FILE] [--keep]
//
// Projects: the repository root (the shipped notes) by default; each --vault DIR
// instead (e.g. one made by `node tools/gen-vault.mjs --notes 10000 /tmp/v10k`);
// --shipped adds the repository root back. For each project:
//  1. `kbc build -q -C PROJECT -o OUT` into a temporary folder, --runs times
//     (default 5), and once more with -v for the time of its index stage. The
//     documents are kbc's own: one per section, read back from the built index
//     (meta block and text shards, through assets/search/index.js) and from
//     .kbc/kb.sqlite (`kbc query`: aliases, tags, ledger topics), with kbc's six
//     fields (title, topic, alias, heading, tag, body) and its field weights.
//  2. lunr and MiniSearch indexes of those documents (fields boosted by kbc's
//     weights), serialized as the JSON an app would ship; a Pagefind index
//     through its Node API, one HTML record per document whose elements carry
//     kbc's weights as data-pagefind-weight. Each build is timed --runs times.
//  3. In Debian's chromium (playwright-core), over a server on 127.0.0.1 only:
//     bytes a fresh page loads for the one-word query "loop" (kbc: its real
//     search dialog, 10 results with snippets; Pagefind: pagefind.js, its wasm,
//     the chunks it fetches and the fragments of its first 10 results; lunr and
//     MiniSearch: the whole index file), the cold first query, and the warm
//     latency: the median over --rounds (default 30) runs of a fixed query set.
//  4. Relevance: for each ledger topic, the query made of its term must put the
//     topic's note first: recall@1 and @3 for kbc (`kbc search --tsv`), lunr,
//     MiniSearch (in node) and Pagefind (in chromium).
// Index sizes, like for like: the index proper is kbc's meta.bin and t-b*.bin,
// lunr's and MiniSearch's JSON, Pagefind's output folder minus UI, code and
// fragments; the text store (shown apart, never hidden) is kbc's x-b*.bin, for
// lunr and MiniSearch the documents JSON a site needs to show results with
// snippets (url, title, heading, body per section), Pagefind's fragments.
// "gz" is gzip -9 of each file, kept raw when gzip does not make it smaller
// (Pagefind's files are already gzipped).
// Needs build/kbc (tools/setup) and /usr/bin/chromium (tools/test installs it,
// or set KBC_CHROMIUM); installs tools/bench/'s npm packages when missing.
// Exit status: 0 after writing the table, 1 on a failure, 2 on a usage error.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BENCH = path.join(ROOT, 'tools', 'bench');
const USAGE = 'usage: node tools/bench-search.mjs [--vault DIR]... [--shipped] [--runs N] [--rounds N] ' +
  '[--kbc PATH] [--md FILE] [--keep]';

// ---- options ----
const opt = { vaults: [], shipped: false, runs: 5, rounds: 30, kbc: path.join(ROOT, 'build', 'kbc'),
  md: path.join(ROOT, 'tools', 'bench-search.md'), keep: false };
{
  const a = process.argv.slice(2);
  const num = (i) => {
    const n = Number(a[i]);
    if (!Number.isInteger(n) || n < 1 || n > 1000) usage(`${a[i - 1]} needs a whole number from 1 to 1000`);
    return n;
  };
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--vault' && i + 1 < a.length) opt.vaults.push(path.resolve(a[++i]));
    else if (a[i] === '--shipped') opt.shipped = true;
    else if (a[i] === '--runs' && i + 1 < a.length) opt.runs = num(++i);
    else if (a[i] === '--rounds' && i + 1 < a.length) opt.rounds = num(++i);
    else if (a[i] === '--kbc' && i + 1 < a.length) opt.kbc = path.resolve(a[++i]);
    else if (a[i] === '--md' && i + 1 < a.length) opt.md = path.resolve(a[++i]);
    else if (a[i] === '--keep') opt.keep = true;
    else if (a[i] === '-h' || a[i] === '--help') { console.log(USAGE); process.exit(0); }
    else usage(`unknown argument '${a[i]}'`);
  }
}
function usage(msg) {
  console.error(`bench-search: ${msg}\n${USAGE}`);
  process.exit(2);
}
const projects = [...(opt.vaults.length && !opt.shipped ? [] : [ROOT]), ...opt.vaults];
const COMMAND = 'node tools/bench-search.mjs' + process.argv.slice(2).map((s) => ' ' + s).join('');
const ONE_WORD = 'loop';
const PAGE = 10;                       // results on the first page of kbc's dialog (assets/search/ui.js)
const FIELDS = ['title', 'topic', 'alias', 'heading', 'tag', 'body'];
const WEIGHT = { title: 10, topic: 8, alias: 6, heading: 5, tag: 3, body: 1 };   // docs/search-index.md §1
// Single words for the latency query set, besides ledger terms: present in the
// shipped notes and in every generated vault (tools/gen-vault.mjs's common words).
const WORDS = ['loop', 'memory', 'stream', 'buffer', 'process', 'error', 'promise', 'heap', 'worker', 'timer'];

function die(msg) {           // before anything is started
  console.error(`bench-search: ${msg}`);
  process.exit(1);
}
class Failure extends Error {}
function fail(msg) {          // while running: the main loop reports it and cleans up
  throw new Failure(msg);
}

// ---- dependencies: npm packages in tools/bench, chromium from Debian ----
const req = createRequire(path.join(BENCH, 'package.json'));
function resolvable() {
  try {
    for (const p of ['lunr', 'minisearch', 'playwright-core']) req.resolve(p);
    return fs.existsSync(path.join(BENCH, 'node_modules', 'pagefind', 'package.json'));
  } catch {
    return false;
  }
}
if (!resolvable()) {
  console.error('bench-search: installing lunr, minisearch, pagefind, playwright-core in tools/bench (npm ci)');
  const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: BENCH, stdio: 'inherit' });
  if (r.status !== 0 || !resolvable()) die('npm ci in tools/bench failed');
}
const CHROMIUM = process.env.KBC_CHROMIUM || '/usr/bin/chromium';
if (!fs.existsSync(CHROMIUM)) die(`no chromium at ${CHROMIUM}: run tools/test once (it installs it) or set KBC_CHROMIUM`);
if (!fs.existsSync(opt.kbc)) die(`no kbc binary at ${opt.kbc}: run tools/setup first, or pass --kbc PATH`);
const lunr = req('lunr');
const MiniSearch = req('minisearch');
const { chromium } = req('playwright-core');
const pagefind = await import(pathToFileURL(path.join(BENCH, 'node_modules', 'pagefind', 'lib', 'index.js')).href);
const ix = createRequire(import.meta.url)(path.join(ROOT, 'assets', 'search', 'index.js'));
const tk = createRequire(import.meta.url)(path.join(ROOT, 'assets', 'search', 'tokenize.js'));
const LIB = {
  'lunr.js': path.join(path.dirname(req.resolve('lunr')), 'lunr.min.js'),
  'minisearch.js': req.resolve('minisearch').replace(/cjs[/\\]index\.cjs$/, 'umd/index.js'),
};
const version = (p) => JSON.parse(fs.readFileSync(path.join(BENCH, 'node_modules', p, 'package.json'), 'utf8')).version;
const VERSIONS = { lunr: version('lunr'), minisearch: version('minisearch'), pagefind: version('pagefind') };

// ---- small helpers ----
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const gz = (buf) => Math.min(buf.length, zlib.gzipSync(buf, { level: 9 }).length);
const now = () => Number(process.hrtime.bigint()) / 1e6;
function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) fail(`${what} failed (status ${r.status}): ${(r.stderr || r.error || '').toString().trim()}`);
  return r;
}
function filesUnder(dir) {      // [relative path], sorted
  const out = [];
  (function walk(d, rel) {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.isDirectory()) walk(path.join(d, e.name), rel + e.name + '/');
      else out.push(rel + e.name);
    }
  })(dir, '');
  return out;
}

// ---- 1. kbc: build, then its documents ----
function kbcBuild(proj, out) {
  const times = [];
  for (let r = 0; r < opt.runs; r++) {
    const t0 = now();
    run(opt.kbc, ['build', '-q', '-C', proj, '-o', out], `kbc build -C ${proj}`);
    times.push(now() - t0);
  }
  const v = run(opt.kbc, ['build', '-v', '-C', proj, '-o', out], `kbc build -v -C ${proj}`);
  const m = /^kbc: index\s+([\d.]+) ms$/m.exec(v.stderr);
  return { ms: median(times), indexMs: m ? Number(m[1]) : NaN };
}

function kbcQuery(proj, sql) {     // rows of `kbc query --tsv` (tabs and newlines in values become spaces)
  const lines = run(opt.kbc, ['query', '-C', proj, '--tsv', sql], 'kbc query').stdout.split('\n');
  return lines.slice(1).filter((l) => l !== '').map((l) => l.split('\t'));
}

// One document per section, exactly as kbc indexes it (src/index.c).
function kbcDocuments(proj, out) {
  const dir = path.join(out, 'search');
  const bin = (name) => new Uint8Array(fs.readFileSync(path.join(dir, name + '.bin')));
  const meta = ix.meta(bin('meta'));
  const texts = [];
  meta.texts.forEach((_, i) => {
    const w = ix.place(meta, 'x-' + String(i).padStart(3, '0'));
    texts.push(...ix.text(bin(w.file).subarray(w.at, w.at + w.length), i, meta).map((x) => x.text));
  });
  const noteOf = new Map(meta.notes.map((n, i) => [n.url, i]));    // url -> meta note number
  const sqlNote = new Map();                                       // sqlite note id -> meta note number
  for (const [id, url] of kbcQuery(proj, 'SELECT id, url FROM notes ORDER BY id')) {
    if (noteOf.has(url)) sqlNote.set(id, noteOf.get(url));
  }
  const perNote = (sql) => {
    const m = new Map();
    for (const [note, v] of kbcQuery(proj, sql)) {
      if (!sqlNote.has(note)) continue;
      const k = sqlNote.get(note);
      if (!m.has(k)) m.set(k, []);
      m.get(k).push(v);
    }
    return m;
  };
  const aliases = perNote('SELECT note, alias FROM aliases ORDER BY rowid');
  const tags = perNote('SELECT note, tag FROM tags ORDER BY rowid');
  const anchors = new Map(kbcQuery(proj, 'SELECT note, idx, anchor FROM headings')
    .map(([note, idx, anchor]) => [`${note}/${idx}`, anchor]));
  const docOf = new Map();                                         // "note/anchor" -> document
  const docs = meta.docs.map((d, k) => {
    const text = texts[k], nl = text.indexOf('\n');
    if (nl < 0 || text.slice(0, nl) !== d.heading) fail(`document ${k}: its text shard does not start with its heading`);
    const first = !d.anchor;
    docOf.set(`${d.note}/${d.anchor}`, k);
    return { id: k, note: d.note, url: meta.notes[d.note].url + (d.anchor ? '#' + d.anchor : ''),
      title: first ? meta.notes[d.note].title : '', topic: [], alias: first ? aliases.get(d.note) || [] : [],
      heading: d.heading, tag: first ? tags.get(d.note) || [] : [], body: text.slice(nl + 1) };
  });
  const topicAliases = new Map();
  for (const [t, a] of kbcQuery(proj, 'SELECT topic, alias FROM topic_aliases ORDER BY rowid')) {
    if (!topicAliases.has(t)) topicAliases.set(t, []);
    topicAliases.get(t).push(a);
  }
  const topics = [];
  for (const [id, term, note, heading] of kbcQuery(proj, 'SELECT id, term, note, heading FROM topics ORDER BY id')) {
    if (!sqlNote.has(note)) continue;
    const n = sqlNote.get(note);
    const anchor = heading === '-1' ? '' : anchors.get(`${note}/${heading}`);
    const k = docOf.get(`${n}/${anchor}`);
    if (anchor === undefined || k === undefined) fail(`ledger topic '${term}' points at no document`);
    docs[k].topic.push(term, ...(topicAliases.get(id) || []));
    topics.push({ term, note: n });
  }
  verify(docs, meta, bin);
  for (const d of docs) for (const f of ['topic', 'alias', 'tag']) d[f] = d[f].join('\n');
  return { docs, topics, meta };
}

// The documents are kbc's exactly when, tokenized as kbc tokenizes
// (assets/search/tokenize.js), every term occurs in the same documents and
// fields as the index's postings say. Anything else stops the benchmark.
function verify(docs, meta, bin) {
  const mine = new Map();             // term -> Map(doc -> field mask)
  for (const d of docs) {
    FIELDS.forEach((f, bit) => {
      for (const v of Array.isArray(d[f]) ? d[f] : [d[f]]) {
        for (const t of tk.tokenize(v, 0).toks) {
          if (t.term === null) continue;
          if (!mine.has(t.term)) mine.set(t.term, new Map());
          const m = mine.get(t.term);
          m.set(d.id, (m.get(d.id) || 0) | (1 << bit));
        }
      }
    });
  }
  let n = 0;
  meta.shards.forEach((_, i) => {
    const w = ix.place(meta, 't-' + String(i).padStart(3, '0'));
    for (const t of ix.terms(bin(w.file).subarray(w.at, w.at + w.length), i, meta)) {
      const p = ix.postings(t, meta), m = mine.get(t.s);
      n++;
      let same = m && m.size === t.df;
      for (let k = 0; same && k < t.df; k++) same = m.get(p.doc[k]) === p.mask[k];
      if (!same) fail(`the documents read back do not match kbc's index at the term '${t.s}'`);
    }
  });
  if (n !== mine.size) fail(`the documents read back have ${mine.size} terms, kbc's index ${n}`);
}

// ---- 2. the peers ----
function buildLunr(docs) {
  return lunr(function () {
    this.ref('id');
    for (const f of FIELDS) this.field(f, { boost: WEIGHT[f] });
    for (const d of docs) this.add(d);
  });
}
// The user's words as lunr terms, without lunr's query syntax (":" "^" "~" "*"
// "+" "-"), which would make words like node:fs a field name or an error.
const lunrSearch = (idx, q) => idx.query((qq) => qq.term(lunr.tokenizer(q)));

const MS_OPTIONS = { fields: FIELDS, idField: 'id',
  searchOptions: { boost: Object.fromEntries(FIELDS.map((f) => [f, WEIGHT[f]])) } };
function buildMiniSearch(docs) {
  const ms = new MiniSearch(MS_OPTIONS);
  ms.addAll(docs);
  return ms;
}

const esc = (s) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
function pagefindHtml(d) {
  const el = (tag, f, v) => (v ? `<${tag} data-pagefind-weight="${WEIGHT[f]}">${esc(v)}</${tag}>\n` : '');
  return '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>' + esc(d.title || d.heading) +
    '</title></head><body><main>\n' + el('h1', 'title', d.title) + el('p', 'topic', d.topic) +
    el('p', 'alias', d.alias) + el('h2', 'heading', d.heading) + el('p', 'tag', d.tag) +
    (d.body ? `<p>${esc(d.body)}</p>\n` : '') + '</main></body></html>\n';
}
async function buildPagefind(docs, outDir) {
  fs.rmSync(outDir, { recursive: true, force: true });
  const { errors, index } = await pagefind.createIndex({ forceLanguage: 'en' });
  if (!index) fail(`pagefind: ${errors.join('; ')}`);
  for (let i = 0; i < docs.length; i += 256) {   // bounded batches of concurrent requests
    const rs = await Promise.all(docs.slice(i, i + 256).map((d) =>
      index.addHTMLFile({ url: `/d/${d.id}.html`, content: pagefindHtml(d) })));
    for (const r of rs) if (r.errors.length) fail(`pagefind: ${r.errors.join('; ')}`);
  }
  const w = await index.writeFiles({ outputPath: outDir });
  if (w.errors.length) fail(`pagefind: ${w.errors.join('; ')}`);
  await pagefind.close();
}
const PAGEFIND_UI = /^pagefind-(ui|modular-ui|component-ui|highlight)\.|\.css$|^playground\//;
const PAGEFIND_CODE = /(^|\/)(pagefind\.js|pagefind-worker\.js|wasm\.[^/]*)$/;

async function timed(runs, fn) {
  const times = [];
  let last;
  for (let r = 0; r < runs; r++) {
    if (global.gc) global.gc();
    const t0 = now();
    last = await fn();
    times.push(now() - t0);
  }
  return { ms: median(times), last };
}

// ---- 3. chromium over 127.0.0.1 ----
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json' };
// /site/ the kbc site, /pf/ Pagefind's folder, /lib/ lunr and MiniSearch, /data/ their JSON, /bench.html a blank page.
function serve(routes, data) {
  const server = http.createServer((q, res) => {
    const p = decodeURIComponent(new URL(q.url, 'http://x').pathname);
    let body = null, ext = path.extname(p);
    if (p === '/bench.html') body = Buffer.from('<!doctype html><html lang="en"><head><meta charset="utf-8">' +
      '<title>bench</title></head><body></body></html>\n');
    else if (data.has(p)) body = data.get(p);
    else if (p.startsWith('/lib/') && LIB[p.slice(5)]) body = fs.readFileSync(LIB[p.slice(5)]);
    else {
      for (const [prefix, dir] of routes) {
        if (!p.startsWith(prefix)) continue;
        const rel = path.normalize(p.slice(prefix.length));
        let file = path.join(dir, rel);
        if (rel.startsWith('..') || !fs.existsSync(file)) break;
        if (fs.statSync(file).isDirectory()) file = path.join(file, 'index.html'), ext = '.html';
        if (fs.existsSync(file)) body = fs.readFileSync(file);
        break;
      }
    }
    if (!body) { res.writeHead(404); res.end(); return; }
    // A single byte range, as static hosts answer it: kbc fetches each
    // search shard as a range of the file that holds it.
    const r = /^bytes=(\d+)-(\d+)$/.exec(q.headers.range || '');
    if (r && Number(r[1]) <= Number(r[2]) && Number(r[2]) < body.length) {
      res.writeHead(206, { 'content-type': TYPES[ext] || 'application/octet-stream', 'content-length': Number(r[2]) - Number(r[1]) + 1,
        'content-range': `bytes ${r[1]}-${r[2]}/${body.length}`, 'cache-control': 'no-store' });
      res.end(body.subarray(Number(r[1]), Number(r[2]) + 1));
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[ext] || 'application/octet-stream', 'content-length': body.length,
      'cache-control': 'no-store' });
    res.end(body);
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

const TIMEOUT = 120000;
// Code evaluated in the page: load an engine and its index, answer a query.
// engine: kbc | lunr | minisearch | pagefind. Defines window.B = {search(q) -> [url]}.
async function pageSetup(engine) {
  const script = (src) => new Promise((ok, no) => {
    const s = document.createElement('script');
    s.src = src;
    s.onload = ok;
    s.onerror = () => no(new Error('cannot load ' + src));
    document.head.append(s);
  });
  const get = async (u) => { const r = await fetch(u); if (!r.ok) throw new Error(u + ': HTTP ' + r.status); return r; };
  if (engine === 'kbc') {
    for (const f of ['stem', 'tokenize', 'index', 'load', 'query']) await script('/site/assets/search/' + f + '.js');
    const s = await self.kbcSearch.query.open(self.kbcSearch.load.loader(location.origin + '/site/search/'));
    window.B = { search: async (q) => (await s.search(q, false)).hits.map((h) => h.doc) };
  } else if (engine === 'lunr') {
    await script('/lib/lunr.js');
    const idx = self.lunr.Index.load(await (await get('/data/lunr.json')).json());
    window.B = { search: async (q) => idx.query((qq) => qq.term(self.lunr.tokenizer(q))).map((r) => Number(r.ref)) };
  } else if (engine === 'minisearch') {
    await script('/lib/minisearch.js');
    const opts = await (await get('/data/minisearch-options.json')).json();
    const ms = self.MiniSearch.loadJSON(await (await get('/data/minisearch.json')).text(), opts);
    window.B = { search: async (q) => ms.search(q).map((r) => r.id) };
  } else {
    const pf = await import('/pf/pagefind.js');
    await pf.options({ baseUrl: '/' });
    await pf.init();
    // Ranked hits only; Pagefind's result ids are page hashes, so ask for the
    // fragments (which hold the url) only when asked to: searchUrls.
    window.B = { search: async (q) => (await pf.search(q)).results.map((r) => r.id),
      searchUrls: async (q, n) => Promise.all((await pf.search(q)).results.slice(0, n).map((r) => r.data()))
        .then((ds) => ds.map((d) => Number(/\/d\/(\d+)\.html/.exec(d.url)[1]))) };
  }
}

async function browserBench(browser, base, queries, topicTerms) {
  const res = {};
  for (const engine of ['kbc', 'lunr', 'minisearch', 'pagefind']) {
    // Cold: a fresh page loads the engine and its index and answers ONE_WORD.
    const cold = [];
    for (let r = 0; r < opt.runs; r++) {
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      page.setDefaultTimeout(TIMEOUT);
      await page.goto(base + 'bench.html');
      cold.push(await page.evaluate(async ([setup, engine, q]) => {
        const t0 = performance.now();
        await (0, eval)('(' + setup + ')')(engine);
        await window.B.search(q);
        return performance.now() - t0;
      }, [pageSetup.toString(), engine, ONE_WORD]));
      if (r < opt.runs - 1) await ctx.close();
      else res[engine] = { ctx, page };
    }
    const { ctx, page } = res[engine];
    // Warm: the whole query set once (loads every shard or chunk it needs),
    // then --rounds timed runs of the set; ms per query of each run.
    const warm = await page.evaluate(async ([qs, rounds]) => {
      const hits = [];
      for (const q of qs) hits.push((await window.B.search(q)).length);
      const per = [];
      for (let r = 0; r < rounds; r++) {
        const t0 = performance.now();
        for (const q of qs) await window.B.search(q);
        per.push((performance.now() - t0) / qs.length);
      }
      return { hits, per };
    }, [queries, opt.rounds]);
    res[engine] = { coldMs: median(cold), warmMs: median(warm.per), hits: warm.hits };
    if (engine === 'pagefind') {    // relevance of Pagefind: top 3 notes of each topic's term
      res[engine].top3 = await page.evaluate(async (terms) => {
        const out = [];
        for (const t of terms) out.push(await window.B.searchUrls(t, 3));
        return out;
      }, topicTerms);
    }
    await ctx.close();
  }
  return res;
}

// Bytes a fresh page loads for ONE_WORD. kbc: its own dialog on the site's
// home page, as tests/browser/search.mjs measures it; Pagefind: pagefind.js,
// its wasm, entry, meta and chunks, then the fragments of the first PAGE results.
async function bytesLoaded(browser, base) {
  const measure = async (url, act) => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    page.setDefaultTimeout(TIMEOUT);
    await page.goto(url);
    const got = [];
    page.on('response', (r) => got.push(r.body().then((b) => [new URL(r.url()).pathname, b], () => [r.url(), null])));
    await act(page);
    const all = await Promise.all(got);
    await ctx.close();
    if (all.some(([, b]) => !b)) fail(`a response had no body: ${all.filter(([, b]) => !b).map(([u]) => u).join(' ')}`);
    return all;
  };
  const kbc = await measure(base + 'site/index.html', async (page) => {
    await page.keyboard.press('/');
    await page.waitForSelector('#kbc-search-dialog-input:focus');
    await page.fill('#kbc-search-dialog-input', ONE_WORD);
    await page.waitForSelector(`#kbc-search-list[data-query="${ONE_WORD}"]`);
  });
  const pf = await measure(base + 'bench.html', (page) => page.evaluate(async ([q, n]) => {
    const pf = await import('/pf/pagefind.js');
    await pf.options({ baseUrl: '/' });
    const r = await pf.search(q);
    await Promise.all(r.results.slice(0, n).map((x) => x.data()));
  }, [ONE_WORD, PAGE]));
  const sum = (list) => ({ raw: list.reduce((a, [, b]) => a + b.length, 0), gz: list.reduce((a, [, b]) => a + gz(b), 0),
    files: list.length });
  const kIndex = kbc.filter(([p]) => /^\/site\/search\/[^/]+\.bin$/.test(p));
  const kCode = kbc.filter(([p]) => /^\/site\/assets\/search\//.test(p));
  const pfAll = pf.filter(([p]) => p.startsWith('/pf/'));
  return {
    kbc: { index: sum(kIndex), code: sum(kCode),
      names: kIndex.map(([p]) => path.basename(p)) },
    pagefind: { index: sum(pfAll.filter(([p]) => !PAGEFIND_CODE.test(p))), code: sum(pfAll.filter(([p]) => PAGEFIND_CODE.test(p))),
      names: pfAll.map(([p]) => p.slice(4)) },
  };
}

// ---- 4. relevance ----
function recall(topics, topNotes) {      // topNotes[i]: notes of the first results of topic i's term
  let at1 = 0, at3 = 0, none = 0;
  topics.forEach((t, i) => {
    const r = topNotes[i];
    if (!r.length) none++;
    if (r[0] === t.note) at1++;
    if (r.slice(0, 3).includes(t.note)) at3++;
  });
  return { at1, at3, none, n: topics.length };
}
function kbcTop3(proj, out, term, urlNote) {
  const r = run(opt.kbc, ['search', '-C', proj, '-o', out, '--tsv', '-n', '3', term], `kbc search ${term}`);
  return r.stdout.split('\n').filter(Boolean).map((l) => urlNote.get(l.split('\t')[3].replace(/#.*/, '')));
}

// ---- the run ----
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const ms = (n) => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : fmt(n));
const pct = (r) => `${(100 * r.at1 / r.n).toFixed(1)}% / ${(100 * r.at3 / r.n).toFixed(1)}%`;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-bench-search-'));
const browser = await chromium.launch({ executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'] });
const chromiumVersion = browser.version();
const sections = [];
const started = now();
let server = null;
try {
  for (const [pi, proj] of projects.entries()) {
    const label = proj === ROOT ? 'the shipped notes (repository root)' : proj;
    console.error(`bench-search: ${label}`);
    const out = path.join(work, `site-${pi}`);
    const kb = kbcBuild(proj, out);
    const { docs, topics, meta: { notes } } = kbcDocuments(proj, out);
    const nNotes = new Set(docs.map((d) => d.note)).size;

    console.error(`bench-search:   ${docs.length} documents; building lunr, MiniSearch, Pagefind ${opt.runs} times each`);
    const lu = await timed(opt.runs, () => JSON.stringify(buildLunr(docs)));
    const mi = await timed(opt.runs, () => JSON.stringify(buildMiniSearch(docs)));
    const pfDir = path.join(work, `pagefind-${pi}`);
    const pf = await timed(opt.runs, () => buildPagefind(docs, pfDir));
    const lunrJson = Buffer.from(lu.last), msJson = Buffer.from(mi.last);

    // Sizes.
    const kbcPart = (re) => size(filesUnder(path.join(out, 'search')).filter((f) => re.test(f))
      .map((f) => fs.readFileSync(path.join(out, 'search', f))));
    const size = (bufs) => ({ raw: bufs.reduce((a, b) => a + b.length, 0), gz: bufs.reduce((a, b) => a + gz(b), 0) });
    const pfFiles = filesUnder(pfDir).filter((f) => !PAGEFIND_UI.test(f));
    // Like for like: the index proper (dictionary, postings, document table:
    // kbc's meta block and term shards; lunr's and MiniSearch's JSON;
    // Pagefind's folder minus code and fragments), and apart from it the
    // text a results page needs for titles and snippets (kbc's text shards;
    // for lunr and MiniSearch the documents JSON an app would ship beside
    // the index: url, title, heading and body of each section; Pagefind's
    // fragments).
    const pfRead = (re, yes) => pfFiles.filter((f) => re.test(f) === yes).map((f) => fs.readFileSync(path.join(pfDir, f)));
    const docsJson = Buffer.from(JSON.stringify(docs.map((d) => ({ url: d.url, title: d.title, heading: d.heading,
      text: d.body }))));
    const sizes = { kbc: kbcPart(/^(meta|t-b\d+)\.bin$/), kbcMeta: kbcPart(/^meta\.bin$/), kbcTerms: kbcPart(/^t-b\d+\.bin$/),
      kbcText: kbcPart(/^x-b\d+\.bin$/), lunr: size([lunrJson]), minisearch: size([msJson]),
      pagefind: size(pfFiles.filter((f) => !PAGEFIND_CODE.test(f) && !/\.pf_fragment$/.test(f))
        .map((f) => fs.readFileSync(path.join(pfDir, f)))),
      pagefindCode: size(pfRead(PAGEFIND_CODE, true)) };
    const textStore = { kbc: sizes.kbcText, lunr: size([docsJson]), minisearch: size([docsJson]),
      pagefind: size(pfRead(/\.pf_fragment$/, true)) };
    const code = { kbc: size(filesUnder(path.join(out, 'assets', 'search'))
      .filter((f) => f !== 'boot.js').map((f) => fs.readFileSync(path.join(out, 'assets', 'search', f)))),
    lunr: size([fs.readFileSync(LIB['lunr.js'])]), minisearch: size([fs.readFileSync(LIB['minisearch.js'])]) };

    // Relevance in node (kbc through its CLI, as the brief's reference reader).
    console.error(`bench-search:   relevance over ${topics.length} ledger topics`);
    const urlNote = new Map(docs.filter((d) => !d.url.includes('#')).map((d) => [d.url, d.note]));
    const noteOfDoc = (k) => docs[k].note;
    const kbcTop = topics.map((t) => kbcTop3(proj, out, t.term, urlNote));
    const kbcMiss = topics.map((t, i) => [t, kbcTop[i]]).filter(([t, r]) => r[0] !== t.note)
      .map(([t, r]) => `"${t.term}" (${notes[t.note].url}; kbc's first: ${r.length ? notes[r[0]].url : 'nothing'})`);
    const rel = {
      kbc: recall(topics, kbcTop),
      lunr: (() => { const idx = buildLunr(docs);
        return recall(topics, topics.map((t) => lunrSearch(idx, t.term).slice(0, 3).map((r) => noteOfDoc(Number(r.ref))))); })(),
      minisearch: (() => { const m = buildMiniSearch(docs);
        return recall(topics, topics.map((t) => m.search(t.term).slice(0, 3).map((r) => noteOfDoc(r.id)))); })(),
    };

    // Chromium.
    console.error('bench-search:   chromium: bytes, cold and warm queries');
    const data = new Map([['/data/lunr.json', lunrJson], ['/data/minisearch.json', msJson],
      ['/data/minisearch-options.json', Buffer.from(JSON.stringify(MS_OPTIONS))]]);
    server = await serve([['/site/', out], ['/pf/', pfDir]], data);
    const base = `http://127.0.0.1:${server.address().port}/`;
    const step = Math.max(1, Math.floor(topics.length / 50));
    const queries = [...topics.filter((_, i) => i % step === 0).slice(0, 50).map((t) => t.term), ...WORDS];
    const bytes = await bytesLoaded(browser, base);
    const br = await browserBench(browser, base, queries, topics.map((t) => t.term));
    rel.pagefind = recall(topics, br.pagefind.top3.map((ds) => ds.map(noteOfDoc)));
    await new Promise((ok) => server.close(ok));
    server = null;

    // The table.
    const E = ['kbc', 'lunr', 'minisearch', 'pagefind'];
    const row = (name, f) => `| ${name} | ${E.map(f).join(' | ')} |`;
    const rs = (s) => `${fmt(s.raw)} / ${fmt(s.gz)}`;
    const loaded = (e) => (e === 'kbc' || e === 'pagefind' ? bytes[e].index : sizes[e]);
    const withCode = (e) => (e === 'kbc' || e === 'pagefind' ? bytes[e].code : code[e]);
    const lines = [
      `### ${proj === ROOT ? 'Shipped notes' : 'Vault ' + proj}: ${nNotes} notes, ${docs.length} documents ` +
        `(sections), ${topics.length} ledger topics`,
      '',
      `| | kbc | lunr ${VERSIONS.lunr} | MiniSearch ${VERSIONS.minisearch} | Pagefind ${VERSIONS.pagefind} |`,
      '|---|---|---|---|---|',
      row('index proper (dictionary, postings, document table), bytes raw / gzipped', (e) => rs(sizes[e])),
      row('snippet text store, bytes raw / gzipped (lunr, MiniSearch: the documents JSON an app ships for results)',
        (e) => rs(textStore[e])),
      row('index + text store, bytes raw / gzipped', (e) =>
        rs({ raw: sizes[e].raw + textStore[e].raw, gz: sizes[e].gz + textStore[e].gz })),
      row('search code, bytes raw / gzipped', (e) =>
        (e === 'pagefind' ? `${rs(sizes.pagefindCode)} (in the index row)` : rs(code[e]))),
      row(`one-word query "${ONE_WORD}": index bytes loaded, raw / gzipped`, (e) =>
        rs(loaded(e)) + (e === 'kbc' || e === 'pagefind' ? ` (${loaded(e).files} files)` : ' (whole index)')),
      row(`one-word query "${ONE_WORD}": index + code bytes loaded, raw / gzipped`, (e) =>
        rs({ raw: loaded(e).raw + withCode(e).raw, gz: loaded(e).gz + withCode(e).gz })),
      row(`cold first query "${ONE_WORD}" in chromium, ms (median of ${opt.runs})`, (e) => ms(br[e].coldMs)),
      row(`warm query in chromium, ms per query (median of ${opt.rounds} runs of ${queries.length} queries)`,
        (e) => ms(br[e].warmMs)),
      row(`build, ms (median of ${opt.runs})`, (e) => (e === 'kbc'
        ? `${ms(kb.ms)} (whole site; its index stage ${ms(kb.indexMs)})` : ms({ lunr: lu, minisearch: mi, pagefind: pf }[e].ms))),
      row(`ledger topics: recall@1 / recall@3 (${topics.length} queries)`, (e) =>
        `${pct(rel[e])}${rel[e].none ? ` (${rel[e].none} with no result)` : ''}`),
      '',
      `kbc's index: meta ${rs(sizes.kbcMeta)}, term shards ${rs(sizes.kbcTerms)}, text shards (section text ` +
        `for snippets and phrase checks) ${rs(sizes.kbcText)}. The "index proper" row compares like for like: ` +
        'kbc\'s meta block (notes, documents, field norms, shard table) and term shards; the lunr and MiniSearch ' +
        'JSON; Pagefind\'s folder without its code and fragments. The text store row is the text a results page ' +
        'needs besides: kbc\'s text shards; for lunr and MiniSearch a JSON array of each section\'s url, title, ' +
        'heading and body (the same for both); Pagefind\'s fragments. ' +
        `kbc's "${ONE_WORD}" loaded ${bytes.kbc.names.join(' ')}; Pagefind's ${bytes.pagefind.names.join(' ')}. ` +
        'Search code: kbc the files its dialog loads (assets/search/ but boot.js, which every page loads), ' +
        'lunr lunr.min.js, MiniSearch its unminified UMD build, Pagefind pagefind.js, its worker and wasm.',
      '',
      `kbc misses at recall@1 (${kbcMiss.length}): ${kbcMiss.slice(0, 20).join('; ') || 'none'}` +
        (kbcMiss.length > 20 ? `; and ${kbcMiss.length - 20} more.` : '.'),
    ];
    sections.push({ proj, lines, sizes, textStore, bytes, rel, docs: docs.length });
    console.log(lines.join('\n') + '\n');
  }
} catch (e) {
  console.error(`bench-search: ${e instanceof Failure ? e.message : e.stack || e}`);
  process.exitCode = 1;
} finally {
  await browser.close();
  if (server) server.close();
  await pagefind.close().catch(() => {});
  if (!opt.keep) fs.rmSync(work, { recursive: true, force: true });
  else console.error(`bench-search: kept ${work}`);
}
if (process.exitCode) process.exit(1);

// ---- targets (shipped notes) and the Markdown file ----
const verdicts = [];
for (const s of sections.filter((x) => x.proj === ROOT)) {
  const v = (ok, what) => verdicts.push(`- ${ok ? 'met' : '**MISSED**'}: ${what}`);
  v(s.sizes.kbc.gz < s.sizes.lunr.gz && s.sizes.kbc.gz < s.sizes.minisearch.gz,
    `kbc's index proper smaller gzipped than lunr's and MiniSearch's (${fmt(s.sizes.kbc.gz)} vs ${fmt(s.sizes.lunr.gz)} ` +
    `and ${fmt(s.sizes.minisearch.gz)} bytes; with the text stores: kbc ${fmt(s.sizes.kbc.gz + s.textStore.kbc.gz)}, ` +
    `lunr ${fmt(s.sizes.lunr.gz + s.textStore.lunr.gz)}, MiniSearch ${fmt(s.sizes.minisearch.gz + s.textStore.minisearch.gz)})`);
  const k = s.bytes.kbc, p = s.bytes.pagefind;
  v(k.index.gz + k.code.gz < p.index.gz + p.code.gz && k.index.raw + k.code.raw < p.index.raw + p.code.raw,
    `fewer bytes loaded per one-word query than Pagefind, data + code (kbc ${fmt(k.index.raw + k.code.raw)} raw / ` +
    `${fmt(k.index.gz + k.code.gz)} gz vs Pagefind ${fmt(p.index.raw + p.code.raw)} / ${fmt(p.index.gz + p.code.gz)}; ` +
    `index data alone: ${fmt(k.index.raw)} / ${fmt(k.index.gz)} vs ${fmt(p.index.raw)} / ${fmt(p.index.gz)})`);
  v(s.rel.kbc.at1 / s.rel.kbc.n >= 0.9, `ledger-topic recall@1 at least 90% (kbc ${s.rel.kbc.at1}/${s.rel.kbc.n})`);
  v(s.rel.kbc.at1 >= s.rel.lunr.at1,
    `ledger-topic recall@1 at least lunr's (kbc ${s.rel.kbc.at1}/${s.rel.kbc.n}, lunr ${s.rel.lunr.at1}/${s.rel.lunr.n})`);
}
const md = [
  '# Search benchmark: kbc against lunr, MiniSearch and Pagefind', '',
  `Written by \`tools/bench-search.mjs\` (its header says what each number means); do not edit by hand.`, '',
  `- date: ${new Date().toISOString().slice(0, 10)}`,
  `- machine: ${os.availableParallelism()} cores (nproc), ${os.cpus()[0]?.model || 'unknown CPU'}, ` +
    `${Math.round(os.totalmem() / 2 ** 30)} GiB; node ${process.version}; chromium ${chromiumVersion}`,
  `- command: \`${COMMAND}\` (${((now() - started) / 1000).toFixed(0)} s)`,
  `- documents: one per section, kbc's own (read back from its index and .kbc/kb.sqlite); lunr, MiniSearch and ` +
    `Pagefind get kbc's six fields with kbc's field weights. Queries: lunr gets the words through its tokenizer ` +
    `(no query syntax), MiniSearch and Pagefind the text as typed, kbc its own syntax (all words required).`,
  '',
  ...sections.flatMap((s) => [...s.lines, '']),
  ...(verdicts.length ? ['### Targets on the shipped notes', '', ...verdicts, ''] : []),
];
fs.writeFileSync(opt.md, md.join('\n'));
if (verdicts.length) console.log(verdicts.join('\n'));
console.error(`bench-search: wrote ${path.relative(process.cwd(), opt.md) || opt.md}`);
