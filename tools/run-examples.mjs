#!/usr/bin/env node
// run-examples: run every runnable example in the notes and compare its stdout
// with the `output` block that follows it.
//
// Usage: node tools/run-examples.mjs [--node PATH]... [--lines 22,24,26] [FILE.md|DIR]...
//
// A runnable example is a fenced block whose info string is `js run`, `mjs run`
// or `cjs run` (optionally followed by `exit=N`, the expected exit status,
// default 0). The fenced block right after it (blank lines between are fine)
// must be `output`: exactly what the program prints on stdout. Extra blocks
// `output node22`, `output node24`, ... directly after it override the
// expectation for that release line only.
//
// `js` programs run as CommonJS (.js beside a package.json of type commonjs),
// `mjs` as ES modules, `cjs` as CommonJS. Each runs in a fresh temporary
// directory with a 20 s limit. Without --node/--lines the machine's node runs
// them; --lines resolves each release line through `npx -y node@N`.
// Exit status: 0 when every example matched on every node, 1 otherwise.
import { spawnSync, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const FENCE = /^(\s{0,3})(`{3,}|~{3,})\s*(.*)$/;

/** Parse fenced blocks of a Markdown file: [{info, body, line}] in order. */
export function fencedBlocks(text) {
  const lines = text.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const m = FENCE.exec(lines[i]);
    if (!m) continue;
    const [, indent, fence, info] = m;
    const body = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const c = /^(\s{0,3})(`{3,}|~{3,})\s*$/.exec(lines[j]);
      if (c && c[2][0] === fence[0] && c[2].length >= fence.length) break;
      body.push(indent && lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j]);
    }
    blocks.push({ info: info.trim(), body: body.join('\n'), line: i + 1, end: j + 1 });
    i = j;
  }
  return blocks;
}

/** Runnable examples of a file: [{lang, exit, code, line, outputs: {default, node22, ...}}]. */
export function examples(text) {
  const blocks = fencedBlocks(text);
  const lines = text.split('\n');
  const out = [];
  for (let k = 0; k < blocks.length; k++) {
    const w = blocks[k].info.split(/\s+/);
    if (!['js', 'mjs', 'cjs'].includes(w[0]) || w[1] !== 'run') continue;
    const exitWord = w.find((x) => x.startsWith('exit='));
    const ex = { lang: w[0], exit: exitWord ? Number(exitWord.slice(5)) : 0,
      code: blocks[k].body, line: blocks[k].line, outputs: {} };
    let prevEnd = blocks[k].end;
    for (let n = k + 1; n < blocks.length; n++) {
      const gap = lines.slice(prevEnd, blocks[n].line - 1);
      if (gap.some((l) => l.trim() !== '')) break;
      const ow = blocks[n].info.split(/\s+/);
      if (ow[0] !== 'output') break;
      ex.outputs[ow[1] || 'default'] = blocks[n].body;
      prevEnd = blocks[n].end;
      k = n;
    }
    out.push(ex);
  }
  return out;
}

function nodeFor(line) {
  return execFileSync('npx', ['-y', `node@${line}`, '-p', 'process.execPath'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

function runOne(nodeBin, ex) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-example-'));
  try {
    const file = path.join(dir, `example.${ex.lang}`);
    fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"commonjs"}\n');
    fs.writeFileSync(file, ex.code + '\n');
    const r = spawnSync(nodeBin, [file], { cwd: dir, encoding: 'utf8', timeout: 20000,
      env: { ...process.env, NODE_NO_WARNINGS: '1', FORCE_COLOR: '0', NO_COLOR: '1' } });
    return r;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function mdFiles(p) {
  const st = fs.statSync(p);
  if (st.isFile()) return [p];
  return fs.readdirSync(p).sort().flatMap((n) => (n.startsWith('.') ? [] : mdFiles(path.join(p, n))))
    .filter((f) => f.endsWith('.md'));
}

function main(argv) {
  const nodes = [];
  const targets = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--node') nodes.push({ bin: argv[++i] });
    else if (argv[i] === '--lines') for (const l of argv[++i].split(',')) nodes.push({ line: l });
    else if (argv[i] === '-h' || argv[i] === '--help') {
      console.log('usage: node tools/run-examples.mjs [--node PATH]... [--lines 22,24,26] [FILE.md|DIR]...');
      return 0;
    } else targets.push(argv[i]);
  }
  if (!nodes.length) nodes.push({ bin: process.execPath });
  if (!targets.length) targets.push('notes');
  for (const n of nodes) if (!n.bin) n.bin = nodeFor(n.line);
  let pass = 0;
  let fail = 0;
  for (const n of nodes) {
    const version = execFileSync(n.bin, ['--version'], { encoding: 'utf8' }).trim();
    const major = version.replace(/^v/, '').split('.')[0];
    for (const file of targets.flatMap(mdFiles)) {
      for (const ex of examples(fs.readFileSync(file, 'utf8'))) {
        const want = ex.outputs[`node${major}`] ?? ex.outputs.default;
        const where = `${file}:${ex.line}`;
        if (want === undefined) {
          console.log(`FAIL ${where} [${version}]: no output block follows the example`);
          fail++;
          continue;
        }
        const r = runOne(n.bin, ex);
        const got = (r.stdout || '').replace(/\s+$/, '');
        const ok = got === want.replace(/\s+$/, '') && r.status === ex.exit;
        if (ok) { pass++; continue; }
        fail++;
        console.log(`FAIL ${where} [${version}]: exit ${r.status}${r.signal ? ' signal ' + r.signal : ''} (want ${ex.exit})`);
        console.log('--- expected\n' + want + '\n--- got\n' + got);
        if (r.stderr) console.log('--- stderr\n' + r.stderr.split('\n').slice(0, 15).join('\n'));
      }
    }
    console.log(`node ${version}: done`);
  }
  console.log(`examples: ${pass} passed, ${fail} failed`);
  return fail ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
