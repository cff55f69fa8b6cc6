// tokens.mjs - does assets/search/tokenize.js split text exactly like
// src/tokenize.c? Compares every term (token, position, kind, term, norm)
// against tests/search/tokdump.c.
//
// Usage: node tests/search/tokens.mjs TOKDUMP [NOTES_DIR]
// NOTES_DIR defaults to the repository's notes/. Checks, one each:
//   - every *.md file under NOTES_DIR, its raw text as one input;
//   - a list of hand-picked hard cases (connectors, case boundaries,
//     apostrophes, marks, ligatures, folding, stop words, long terms);
//   - every code point from U+0080 up, in a few contexts, except those the
//     C side's utf8proc does not know yet (tokdump --unassigned) and the
//     few whose class changed between Unicode versions (VERSION_GAPS):
//     there the browser's tables and utf8proc's legitimately differ.
// Prints the first differences of each failing check, then "N passed, N failed".
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const tk = createRequire(import.meta.url)(path.join(here, '..', '..', 'assets', 'search', 'tokenize.js'));
const [tokdump, notesArg] = process.argv.slice(2);
if (!tokdump) {
  console.error('usage: node tests/search/tokens.mjs TOKDUMP [NOTES_DIR]');
  process.exit(2);
}
const notesDir = path.resolve(notesArg || path.join(here, '..', '..', 'notes'));
// U+0295 is Ll in Unicode 15 (utf8proc 2.8) and Lo from Unicode 16 on.
const VERSION_GAPS = new Set([0x295]);

let passed = 0;
let failed = 0;

function run(args, input) {
  const r = spawnSync(tokdump, args, { input, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${tokdump} exited with ${r.status}: ${r.stderr}`);
  return r.stdout;
}

// The JS tokenizer's lines for `text`, in tokdump's format.
function jsDump(text) {
  return tk.tokenize(text, 0).toks.map((t) => {
    const kind = t.compound ? (t.whole ? 'w' : 'c') : t.term !== null ? 'p' : 's';
    return `${t.token}\t${t.pos}\t${kind}\t${t.term === null ? '' : t.term}\t${t.norm}\n`;
  }).join('');
}

function compare(name, cLines, jsLines, show = 10) {
  const c = cLines.split('\n');
  const j = jsLines.split('\n');
  const diffs = [];
  for (let i = 0; i < Math.max(c.length, j.length) && diffs.length < show; i++) {
    if (c[i] !== j[i]) diffs.push(`  line ${i + 1}: C ${JSON.stringify(c[i])}, JS ${JSON.stringify(j[i])}`);
  }
  if (diffs.length) {
    failed++;
    console.log(`FAIL ${name}: differs from the C tokenizer`);
    for (const d of diffs) console.log(d);
  } else {
    passed++;
  }
  return c.length - 1;
}

// Texts given to both tokenizers line by line (each line from position 0).
function compareLines(name, lines, show = 10) {
  const out = run(['--lines'], lines.join('\n') + '\n').split('#\n');
  const bad = [];
  lines.forEach((l, i) => {
    const js = jsDump(l);
    if (js !== out[i]) bad.push(`  ${JSON.stringify(l)}: C ${JSON.stringify(out[i])}, JS ${JSON.stringify(js)}`);
  });
  if (bad.length) {
    failed++;
    console.log(`FAIL ${name}: ${bad.length} of ${lines.length} lines differ`);
    for (const b of bad.slice(0, show)) console.log(b);
  } else {
    passed++;
  }
}

// 1. The notes.
function mdFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.name.startsWith('.')) return [];
    return d.isDirectory() ? mdFiles(p) : d.name.endsWith('.md') ? [p] : [];
  }).sort();
}
let terms = 0;
const files = mdFiles(notesDir);
if (!files.length) {
  failed++;
  console.log(`FAIL no notes found in ${notesDir}`);
}
for (const f of files) {
  const text = fs.readFileSync(f, 'utf8');
  terms += compare(path.relative(notesDir, f), run([], text), jsDump(text));
}
console.log(`notes: ${files.length} files, ${terms} terms compared`);

// 2. Hard cases.
compareLines('hard cases', [
  'process.nextTick() --max-old-space-size node:fs UV_THREADPOOL_SIZE heapUsed HTTPServer',
  'XMLHttpRequest getHTTPResponseCode IOError ABCdef aB A1B 1A a1b2C3 ÉcoleNormale',
  'end. a.b. .a a..b a.-b -a- a_b_ /usr/lib/x86_64-linux-gnu/ C:\\x http://a.b/c?d=e#f',
  "don't don’t O'Reilly rock'n'roll '90s l'été 1'2 a'1 it's ISN'T",
  'the of and a-the of-the The-End stop.words in:on is_it',
  'café naïve Ænima œuvre straße STRASSE ẞ ΣΊΣΥΦΟΣ ς ſt ﬁle ﬀ ½ ² ⑴ Ⅻ ｆｕｌｌｗｉｄｔｈ',
  'İstanbul ıi ǅemal ǈ ᾳ ᾼ ᾀ ᾷ α\u0345 Ꭰ ꭰ ᲀ ᏸ К Ω Å ℌ ℍ ﬃ',
  'x\u0301 \u0301a a\u0301b .\u0301 e\u0301.f 한국어 日本語テキスト 中文 עברית العربية हिन्दी',
  'a'.repeat(64) + ' ' + 'b'.repeat(65) + ' ' + 'é'.repeat(32) + ' ' + 'é'.repeat(33) +
    ' x.' + 'c'.repeat(70) + '.y ' + 'Ab'.repeat(40),
  'v8 V8 ES2023 es6Module node20 2nd 3rdParty 10x 0x1F 1.2.3 v1.2.3-beta.4',
  '𝐀𝐁𝐂 𝔸𝕓 😀smile a😀b 𐐀𐐨 \u{1D7D8}',
  '', '   ', '...', '--', 'a', 'A', 'Ab', 'AB',
]);

// 3. Every code point U+0080 and above (except surrogates and code points
// utf8proc does not know) alone, inside a word, at a case boundary.
const gaps = run(['--unassigned'], '').trim().split('\n').map((l) => l.split(' ').map((h) => parseInt(h, 16)));
let g = 0;
const sweep = [];
for (let c = 0x80; c < 0x110000; c++) {
  if (c >= 0xD800 && c < 0xE000) continue;
  while (g < gaps.length && gaps[g][1] < c) g++;
  if ((g < gaps.length && gaps[g][0] <= c) || VERSION_GAPS.has(c)) continue;
  const ch = String.fromCodePoint(c);
  sweep.push(`x${ch} ${ch}A${ch}b ${ch}.${ch} a${ch}'${ch}z ${ch}`);
}
compareLines(`code points (${sweep.length})`, sweep);

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
