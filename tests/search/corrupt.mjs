// corrupt.mjs - damaged index files give a clear error in both readers,
// never a crash and never a result.
//
// Usage: node tests/search/corrupt.mjs KBC_BINARY SITE_DIR
// For each case a copy of SITE_DIR/search is damaged in a temporary site,
// then the query "QUERY" (a word of the index, whose terms shard is the
// one damaged, in place in the file that holds its run of 16) runs through `KBC search -o TMP --tsv QUERY`, which must exit
// with status 3, print no result and say "search index" on stderr, and
// through the JS reader in node, which must throw an Error whose message
// contains "search index". Cases, on the meta block and on the terms shard
// the query needs: truncated, one flipped byte, wrong magic, wrong version,
// empty file, a payload a byte short or long under a correct header and
// CRC, a block of another kind under its name; for the JS reader only a
// damaged text shard read for a snippet; for both, a text shard a phrase
// query reads. A damaged shard changes its file's length unless the edit
// keeps it: the readers then refuse the file (its length is not the sum
// the meta block gives), else the block.
// Each reader and case is one check. Prints "N passed, N failed".
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const req = createRequire(import.meta.url);
const { open } = req(path.join(here, '..', '..', 'assets', 'search', 'query.js'));
const { crc32, place } = req(path.join(here, '..', '..', 'assets', 'search', 'index.js'));
const { files } = req(path.join(here, '..', '..', 'assets', 'search', 'load.js'));
const [kbcArg, siteArg] = process.argv.slice(2);
if (!kbcArg || !siteArg) {
  console.error('usage: node tests/search/corrupt.mjs KBC_BINARY SITE_DIR');
  process.exit(2);
}
const kbc = kbcArg.includes('/') ? path.resolve(kbcArg) : kbcArg;
const src = path.join(path.resolve(siteArg), 'search');
// Whole files from disk, cut as load.js does over http(s) when a server
// ignores Range; a file that cannot be read is "cannot load".
const loader = (dir) => files((f) => fs.readFileSync(path.join(dir, f)));

// The query, and the terms shard it reads.
const good = await open(loader(src));
const QUERY = 'loop';
const shard = good.shardFor('loop');
const T = `t-${String(shard).padStart(3, '0')}`;
if (!(await good.search(QUERY, false)).hits.length) {
  console.log(`FAIL the site must have results for "${QUERY}" for this test to mean anything`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-corrupt-'));
let passed = 0;
let failed = 0;
let n = 0;   // damaged copies made

const edits = {
  truncated: (b) => b.subarray(0, Math.max(17, b.length >> 1)),
  'flipped byte': (b) => { const c = Buffer.from(b); c[16 + ((c.length - 16) >> 1)] ^= 0x20; return c; },
  'wrong magic': (b) => { const c = Buffer.from(b); c.write('KBCY', 0, 'latin1'); return c; },
  'wrong version': (b) => { const c = Buffer.from(b); c[4] = 1; return c; },
  'empty file': () => Buffer.alloc(0),
  // Well-formed blocks (length and CRC fixed) whose payload is wrong.
  'payload one byte short': (b) => reblock(b.subarray(16, b.length - 1), b),
  'payload one byte long': (b) => reblock(Buffer.concat([b.subarray(16), Buffer.from([0])]), b),
};

function reblock(payload, old) {
  const c = Buffer.concat([Buffer.from(old.subarray(0, 16)), payload]);
  c.writeUInt32LE(payload.length, 8);
  c.writeUInt32LE(crc32(c, 16), 12);
  return c;
}

// Apply `edit` to block `name` ("meta", "t-003", ...) where it lies in dir.
function editBlock(dir, name, edit) {
  if (name === 'meta') {
    const p = path.join(dir, 'meta.bin');
    fs.writeFileSync(p, edit(fs.readFileSync(p)));
    return;
  }
  const w = place(good.meta, name), p = path.join(dir, w.file + '.bin'), b = fs.readFileSync(p);
  fs.writeFileSync(p, Buffer.concat([b.subarray(0, w.at), edit(b.subarray(w.at, w.at + w.length)), b.subarray(w.at + w.length)]));
}

// A damaged copy of the index: `damage(dir)` edits files in dir/search.
function makeSite(damage) {
  const site = path.join(tmp, String(n++));
  fs.mkdirSync(path.join(site, 'search'), { recursive: true });
  for (const f of fs.readdirSync(src)) fs.copyFileSync(path.join(src, f), path.join(site, 'search', f));
  damage(path.join(site, 'search'));
  return site;
}

function checkC(name, site, query = QUERY) {
  const r = spawnSync(kbc, ['search', '-o', site, '--tsv', query], { cwd: site, encoding: 'utf8' });
  const why = r.error ? r.error.message : r.status !== 3 ? `exit status ${r.status ?? r.signal}` :
    r.stdout !== '' ? `printed results: ${r.stdout.split('\n')[0]}` :
      !/search index/.test(r.stderr) ? `stderr lacks "search index": ${r.stderr.trim()}` : '';
  report(`C: ${name}`, why, r.stderr.trim());
}

async function checkJS(name, site, text = false, query = QUERY) {
  let why = '';
  let msg = '';
  try {
    const s = await open(loader(path.join(site, 'search')));
    const r = await s.search(query, false);
    if (text) await s.text(r.hits[0].doc);
    why = `gave ${r.hits.length} results`;
  } catch (e) {
    msg = e.message;
    if (!(e instanceof Error) || !/search index/.test(e.message)) why = `threw without "search index": ${e}`;
  }
  report(`JS: ${name}`, why, msg);
}

function report(name, why, msg) {
  if (why) {
    failed++;
    console.log(`FAIL ${name}: ${why}`);
  } else {
    passed++;
    console.log(`ok   ${name}: ${msg}`);
  }
}

for (const [file, label] of [['meta', 'meta block'], [T, `terms shard ${shard}`]]) {
  for (const [what, edit] of Object.entries(edits)) {
    const site = makeSite((d) => editBlock(d, file, edit));
    checkC(`${label}, ${what}`, site);
    await checkJS(`${label}, ${what}`, site);
  }
}
const TF = place(good.meta, T);
let site = makeSite((d) => fs.copyFileSync(path.join(d, 'x-b000.bin'), path.join(d, TF.file + '.bin')));
checkC(`text shards' file renamed as ${TF.file}.bin`, site);
await checkJS(`text shards' file renamed as ${TF.file}.bin`, site);
site = makeSite((d) => fs.writeFileSync(path.join(d, 'meta.bin'),
  fs.readFileSync(path.join(d, TF.file + '.bin')).subarray(TF.at, TF.at + TF.length)));
checkC('terms shard renamed as the meta block', site);
await checkJS('terms shard renamed as the meta block', site);
// The term shard's block swapped for another block of the same length
// and kind would need two shards alike; instead, one of another kind and
// the same length: the text shard of that size, if the index has one.
const sameLen = good.meta.texts.findIndex((t) => t.bytes === TF.length);
if (sameLen >= 0) {
  const XS = `x-${String(sameLen).padStart(3, '0')}`, XW = place(good.meta, XS);
  site = makeSite((d) => editBlock(d, T, () => fs.readFileSync(path.join(d, XW.file + '.bin')).subarray(XW.at, XW.at + XW.length)));
  checkC(`text shard ${XS} in the place of terms shard ${shard}`, site);
  await checkJS(`text shard ${XS} in the place of terms shard ${shard}`, site);
}
site = makeSite((d) => fs.rmSync(path.join(d, TF.file + '.bin')));
checkC(`${TF.file}.bin missing`, site);
await checkJS(`${TF.file}.bin missing`, site);
const first = (await good.search(QUERY, false)).hits[0].doc;
const X = `x-${String(good.meta.docs[first].text).padStart(3, '0')}`;
site = makeSite((d) => editBlock(d, X, edits['flipped byte']));
await checkJS(`text shard ${X}, flipped byte`, site, true);
// Phrases and the adjacency bonus read text shards in both readers (format 2).
const PHRASE = '"event loop"';
const ph = (await good.search(PHRASE, false)).hits;
if (!ph.length) {
  failed++;
  console.log(`FAIL the site must have results for ${PHRASE} for this test to mean anything`);
} else {
  const XP = `x-${String(good.meta.docs[ph[0].doc].text).padStart(3, '0')}`;
  for (const [what, edit] of Object.entries(edits)) {
    site = makeSite((d) => editBlock(d, XP, edit));
    checkC(`text shard ${XP}, ${what}, phrase query`, site, PHRASE);
    await checkJS(`text shard ${XP}, ${what}, phrase query`, site, false, PHRASE);
  }
}

fs.rmSync(tmp, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
