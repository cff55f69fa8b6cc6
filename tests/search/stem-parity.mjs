// stem-parity.mjs - does assets/search/stem.js stem exactly like libstemmer?
//
// Usage: node stem-parity.mjs REF_BINARY WORDLIST...
// REF_BINARY is tests/search/stem-ref.c built against libstemmer: it reads
// words on stdin and prints "word<TAB>stem" lines. Each word list is read,
// lower-cased and deduplicated (first occurrence kept, order kept); lines that
// are empty or hold anything but a-z and apostrophe are skipped and counted.
// Each list is one check: it passes when kbcStem agrees with the reference on
// every word. Prints per-list counts and the first 20 differences, then
// "N passed, N failed"; exit status 1 on any difference or error.
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const { kbcStem } = createRequire(import.meta.url)(
  path.join(here, '..', '..', 'assets', 'search', 'stem.js'));

const [ref, ...lists] = process.argv.slice(2);
if (!ref || lists.length === 0) {
  console.error('usage: node stem-parity.mjs REF_BINARY WORDLIST...');
  process.exit(2);
}

// Words of `file`, lower-cased, deduplicated, a-z and apostrophe only.
function readWords(file) {
  const lines = readFileSync(file, 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop(); // the final newline
  const seen = new Set();
  let skipped = 0;
  for (const line of lines) {
    const w = line.replace(/\r$/, '').toLowerCase();
    if (/^[a-z']+$/.test(w)) seen.add(w);
    else skipped++;
  }
  return { words: [...seen], skipped };
}

// The reference stems of `words`, as a Map word -> stem (throws on failure).
function refStems(words) {
  const r = spawnSync(ref, [], {
    input: words.join('\n') + '\n', encoding: 'utf8', maxBuffer: 1 << 30,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${ref} exited with ${r.status}: ${r.stderr.trim()}`);
  const out = r.stdout.split('\n');
  if (out.pop() !== '' || out.length !== words.length) {
    throw new Error(`${ref} gave ${out.length} lines for ${words.length} words`);
  }
  const stems = new Map();
  out.forEach((line, i) => {
    const tab = line.indexOf('\t');
    if (tab < 0 || line.slice(0, tab) !== words[i]) {
      throw new Error(`${ref}: line ${i + 1} is not for "${words[i]}": ${line}`);
    }
    stems.set(words[i], line.slice(tab + 1));
  });
  return stems;
}

let passed = 0;
let failed = 0;
for (const file of lists) {
  try {
    const { words, skipped } = readWords(file);
    const stems = refStems(words);
    const diffs = words.filter((w) => kbcStem(w) !== stems.get(w));
    console.log(`${file}: ${words.length} words, ${skipped} lines skipped, ` +
      `${diffs.length} differences`);
    for (const w of diffs.slice(0, 20)) {
      console.log(`  ${w}: libstemmer ${stems.get(w)}, kbcStem ${kbcStem(w)}`);
    }
    if (words.length > 0 && diffs.length === 0) passed++;
    else failed++;
    if (words.length === 0) console.log(`${file}: no words to compare`);
  } catch (e) {
    console.log(`${file}: ${e.message}`);
    failed++;
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
