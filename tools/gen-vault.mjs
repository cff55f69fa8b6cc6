#!/usr/bin/env node
// gen-vault: write a synthetic knowledge base for benchmarks and tests.
//
//   node tools/gen-vault.mjs --notes N [--seed S] [--links-per-note L]
//                            [--sections MIN-MAX] OUT_DIR
//
// Deterministic for a given seed. Each note has front matter (title,
// aliases, tags, order, purpose), MIN to MAX sections (default 3 to 8, about
// 1 KiB each; --sections 40-56 gives about 50 KiB notes) under H2/H3 headings, and
// realistic Markdown: paragraphs, bullet and numbered lists, tables, fenced
// code, inline code, emphasis. Wikilinks follow a power law (a few notes are
// linked from many), a quarter of them to a heading; OUT_DIR/notes/ledger.yaml
// holds one topic per ten notes pointing at real headings. Nothing is fetched.
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
let notes = 1000, seed = 1, linksPerNote = 10, out = null, secMin = 3, secMax = 8;
const USAGE = 'usage: node tools/gen-vault.mjs --notes N [--seed S] [--links-per-note L] [--sections MIN-MAX] OUT_DIR';
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--notes') notes = Number(args[++i]);
  else if (args[i] === '--seed') seed = Number(args[++i]);
  else if (args[i] === '--links-per-note') linksPerNote = Number(args[++i]);
  else if (args[i] === '--sections') {
    const m = /^(\d+)-(\d+)$/.exec(args[++i] || '');
    if (!m || Number(m[1]) < 1 || Number(m[1]) > Number(m[2])) {
      console.error(`gen-vault: --sections needs MIN-MAX with 1 <= MIN <= MAX\n${USAGE}`);
      process.exit(2);
    }
    secMin = Number(m[1]);
    secMax = Number(m[2]);
  } else if (args[i] === '-h' || args[i] === '--help') {
    console.log(USAGE);
    process.exit(0);
  } else out = args[i];
}
if (!out || !(notes > 0)) {
  console.error(USAGE);
  process.exit(2);
}

// mulberry32: small, fast, deterministic.
let state = seed >>> 0;
function rand() {
  state = (state + 0x6D2B79F5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (a) => a[Math.floor(rand() * a.length)];
const between = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));

const common = ('the of and to in is that for it as with on by this be are from or at an not which but ' +
  'can when all one each more time will if out so up use there into has how than then its these them ' +
  'also may only new some could first any two most other such work way even because same after before ' +
  'through between under while where system process memory thread queue event loop buffer stream socket ' +
  'request response error signal timer promise module package cache heap stack worker server client ' +
  'latency throughput backpressure callback handle file network kernel runtime engine compiler profile ' +
  'metric trace log deploy container limit budget retry timeout failure state value object function').split(' ');
const syll = ['ka', 'ro', 'mi', 'to', 'la', 'ne', 'su', 'vi', 'qua', 'zen', 'tor', 'pel', 'dra', 'fin', 'gor', 'sha', 'lin', 'bex'];
const rare = Array.from({ length: 4000 }, () => Array.from({ length: between(2, 4) }, () => pick(syll)).join(''));
const word = () => (rand() < 0.8 ? pick(common) : pick(rare));
const sentence = () => {
  const w = Array.from({ length: between(6, 18) }, word);
  w[0] = w[0][0].toUpperCase() + w[0].slice(1);
  return w.join(' ') + '.';
};
const titleWords = () => Array.from({ length: between(2, 5) }, () => pick(rare)).map((w) => w[0].toUpperCase() + w.slice(1)).join(' ');

// Titles and headings first, so links can point at real headings.
const meta = [];
const used = new Set();
for (let i = 0; i < notes; i++) {
  let title;
  do title = `${titleWords()} ${i}`; while (used.has(title));
  used.add(title);
  const headings = Array.from({ length: between(secMin, secMax) }, (_, k) => `${titleWords()} ${k}`);
  meta.push({ title, headings, file: `n${String(i).padStart(6, '0')}.md` });
}
// Power law: target index = floor(N * u^3) favours the first notes.
const target = () => Math.floor(notes * Math.pow(rand(), 3));

const tags = Array.from({ length: 40 }, (_, k) => `topic-${k}`);
const dir = path.join(out, 'notes');
fs.mkdirSync(dir, { recursive: true });
let bytes = 0, links = 0;
for (let i = 0; i < notes; i++) {
  const m = meta[i];
  const lines = ['---', `title: "${m.title}"`, `aliases: ["${m.title.split(' ')[0]} alias ${i}"]`,
    `tags: [${pick(tags)}, ${pick(tags)}]`, `order: ${i}`, `purpose: "${sentence()}"`, '---', ''];
  lines.push(sentence() + ' ' + sentence(), '');
  for (const h of m.headings) {
    lines.push(`${rand() < 0.7 ? '##' : '###'} ${h}`, '');
    const blocks = between(2, 5);
    for (let b = 0; b < blocks; b++) {
      const kind = rand();
      if (kind < 0.55) {
        const parts = [];
        for (let s = 0; s < between(2, 5); s++) {
          let s1 = sentence();
          if (rand() < 0.6 && links < notes * linksPerNote) {
            const t = meta[target()];
            const withHeading = rand() < 0.25;
            const link = withHeading ? `[[${t.title}#${pick(t.headings)}]]` : `[[${t.title}]]`;
            s1 = s1.replace(/\.$/, ` and ${link}.`);
            links++;
          }
          if (rand() < 0.3) s1 = s1.replace(/ (\w+) /, ' `$1` ');
          if (rand() < 0.2) s1 = s1.replace(/ (\w+) /, ' **$1** ');
          parts.push(s1);
        }
        lines.push(parts.join(' '), '');
      } else if (kind < 0.7) {
        for (let k = 0; k < between(3, 6); k++) lines.push(`- ${sentence()}`);
        lines.push('');
      } else if (kind < 0.8) {
        for (let k = 1; k <= between(3, 5); k++) lines.push(`${k}. ${sentence()}`);
        lines.push('');
      } else if (kind < 0.9) {
        lines.push('| Name | Value | Note |', '|---|---|---|');
        for (let k = 0; k < between(2, 5); k++) lines.push(`| ${word()} | ${between(1, 999)} | ${word()} ${word()} |`);
        lines.push('');
      } else {
        lines.push('```js');
        for (let k = 0; k < between(3, 8); k++) lines.push(`const ${pick(rare)} = ${pick(rare)}(${between(0, 99)}); // ${word()}`);
        lines.push('```', '');
      }
    }
  }
  const text = lines.join('\n');
  bytes += Buffer.byteLength(text);
  fs.writeFileSync(path.join(dir, m.file), text);
}
// Ledger: one topic per ten notes, each at a real heading.
const ledger = ['groups:'];
const groups = Math.max(1, Math.ceil(notes / 1000));
let topic = 0;
for (let g = 0; g < groups; g++) {
  ledger.push(`  - name: "Group ${g}"`, '    topics:');
  for (let k = 0; k < Math.ceil(notes / 10 / groups); k++, topic++) {
    const m = meta[(topic * 7) % notes];
    ledger.push(`      - term: "term ${topic} ${pick(rare)}"`, `        summary: "${sentence()}"`,
      `        note: "${m.title}#${m.headings[topic % m.headings.length]}"`);
  }
}
fs.writeFileSync(path.join(dir, 'ledger.yaml'), ledger.join('\n') + '\n');
fs.writeFileSync(path.join(out, 'kb.yaml'), `title: "Generated vault (${notes} notes)"\n`);
console.log(`${notes} notes, ${links} wikilinks, ${topic} topics, ${(bytes / 1048576).toFixed(1)} MiB of Markdown in ${dir}`);
