#!/usr/bin/env node
// wordcount: words of prose per note (front matter, fenced code and HTML
// comments excluded), reading minutes at 200 words a minute, and the total.
// Usage: node tools/wordcount.mjs [--min N] [--total-min T] [DIR]   (default DIR: notes)
// With --min N, exits 1 when a numbered note (NN-*.md) has fewer than N
// words; with --total-min T, when all notes together have fewer than T.
import fs from 'node:fs';
import path from 'node:path';

export function proseWords(text) {
  let body = text.replace(/^\uFEFF/, '');
  const fm = /^---\r?\n[\s\S]*?\r?\n(---|\.\.\.)\r?\n/.exec(body);
  if (fm) body = body.slice(fm[0].length);
  body = body.replace(/<!--[\s\S]*?-->/g, ' ');
  const kept = [];
  let fence = null;
  for (const line of body.split('\n')) {
    const m = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (fence) { if (m && m[1][0] === fence[0] && m[1].length >= fence.length) fence = null; continue; }
    if (m) { fence = m[1]; continue; }
    kept.push(line);
  }
  return (kept.join('\n').match(/[\p{L}\p{N}][\p{L}\p{N}_'’.\-/]*/gu) || []).length;
}

const args = process.argv.slice(2);
let min = 0;
let totalMin = 0;
for (;;) {
  if (args[0] === '--min') { min = Number(args[1]); args.splice(0, 2); }
  else if (args[0] === '--total-min') { totalMin = Number(args[1]); args.splice(0, 2); }
  else break;
}
const dir = args[0] || 'notes';
let total = 0;
let short = 0;
for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.md')).sort()) {
  const n = proseWords(fs.readFileSync(path.join(dir, name), 'utf8'));
  total += n;
  const low = min && /^\d\d-/.test(name) && n < min;
  if (low) short++;
  console.log(`${String(n).padStart(6)}  ${name}${low ? `  (under ${min})` : ''}`);
}
console.log(`${String(total).padStart(6)}  total, ${Math.round(total / 200)} minutes at 200 words a minute`);
const totalShort = totalMin && total < totalMin;
if (totalShort) console.log(`total under ${totalMin} words`);
console.log(`${short || totalShort ? 0 : 1} passed, ${short || totalShort ? 1 : 0} failed`);
process.exitCode = short || totalShort ? 1 : 0;
