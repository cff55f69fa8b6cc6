// rank.mjs - the ranking rules of docs/search-index.md section 3 on the
// shipped notes, through both readers: the exact-form bonus (a section named
// with the query's own words, stop words included, outranks one named with
// other forms of the same stems), the adjacency bonus, and phrases checked in
// the documents' text. Each case is one check on the first result of
// `kbc search` and of assets/search/query.js.
//
// Usage: node tests/search/rank.mjs KBC_BINARY SITE_DIR
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const { open } = require(path.join(here, '..', '..', 'assets', 'search', 'query.js'));
const { files } = require(path.join(here, '..', '..', 'assets', 'search', 'load.js'));
const [kbcArg, siteArg] = process.argv.slice(2);
if (!kbcArg || !siteArg) {
  console.error('usage: node tests/search/rank.mjs KBC_BINARY SITE_DIR');
  process.exit(2);
}
const kbc = kbcArg.includes('/') ? path.resolve(kbcArg) : kbcArg;
const site = path.resolve(siteArg);
const s = await open(files((f) => fs.readFileSync(path.join(site, 'search', f))));

// [query, URL of the expected first result, or null: no result]
const CASES = [
  ['this binding', '02-execution-model.html#this-binding'],          // stop word in the exact form
  ['allocation profiling', '04-v8-memory.html#allocation-profiling'], // not "allocation profiles"
  ['allocation profiles', '14-observability.html#allocation-profiles'],
  ['response streaming', '11-networking.html#response-streaming'],
  ['"allocation profiles show where churn"', '04-v8-memory.html#allocation-profiling'],   // a phrase, in body text
  ['"profiles allocation"', null],                                    // both words, never in that order
];

let passed = 0;
let failed = 0;
for (const [q, want] of CASES) {
  const r = spawnSync(kbc, ['search', '-o', site, '--tsv', '-n', '1', q], { encoding: 'utf8' });
  const c = r.status === 0 && r.stdout.trim() ? r.stdout.split('\n')[0].split('\t')[3] : null;
  const hits = (await s.search(q, false)).hits;
  const d = hits.length ? s.doc(hits[0].doc) : null;
  const js = d ? d.url + (d.anchor ? '#' + d.anchor : '') : null;
  if (c === want && js === want) {
    passed++;
    console.log(`ok   ${q} -> ${want}`);
  } else {
    failed++;
    console.log(`FAIL ${q}: want ${want}, C gave ${c} (status ${r.status}${r.stderr ? ': ' + r.stderr.trim() : ''}), JS ${js}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
