// lib.mjs - helpers shared by the kbc serve tests: a temporary project,
// starting and stopping `kbc serve`, raw HTTP requests, and a pass/fail
// tally printed as "N passed, N failed".
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

let passed = 0;
let failed = 0;

/** Record one assertion; `detail` is printed when it fails. */
export function check(what, ok, detail = '') {
  if (ok) passed++;
  else {
    failed++;
    console.log(`FAIL: ${what}${detail ? `\n    ${String(detail).slice(0, 2000)}` : ''}`);
  }
}

/** Print the tally and exit with its status. */
export function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

/** A fresh temporary folder, removed at exit. */
export function tempDir(tag) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `kbc-${tag}-`));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Copy the parts of a project kbc reads (notes, kb.yaml, templates, assets). */
export function copyProject(from, to) {
  for (const name of ['notes', 'kb.yaml', 'templates', 'assets']) {
    const src = path.join(from, name);
    if (fs.existsSync(src)) fs.cpSync(src, path.join(to, name), { recursive: true });
  }
}

/** Start `kbc serve ARGS`; resolves to { proc, url, stderr() } once it
 * prints its URL, or rejects with its output when it exits first. */
export function startServe(kbc, args, env = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(kbc, ['serve', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`kbc serve printed no URL:\n${out}${err}`)), 60000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/at (http:\/\/\S+\/)/);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, url: m[1], stderr: () => err, stdout: () => out });
      }
    });
    proc.stderr.on('data', (d) => { err += d; });
    proc.on('exit', (code) => { clearTimeout(timer); reject(Object.assign(new Error(`kbc serve exited ${code}:\n${out}${err}`), { code, err })); });
  });
}

/** Run `kbc serve ARGS` expecting it to exit; resolves to { code, stderr }. */
export function runServe(kbc, args, env = {}) {
  return new Promise((resolve) => {
    const proc = spawn(kbc, ['serve', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    proc.stderr.on('data', (d) => { err += d; });
    proc.stdout.on('data', (d) => { err += d; });
    proc.on('exit', (code) => resolve({ code, stderr: err }));
  });
}

/** Stop a server with `signal` (SIGTERM); resolves to its exit code. */
export function stop(server, signal = 'SIGTERM') {
  return new Promise((resolve) => {
    if (server.proc.exitCode !== null) { resolve(server.proc.exitCode); return; }
    server.proc.removeAllListeners('exit');
    server.proc.on('exit', (code, sig) => resolve(code ?? sig));
    server.proc.kill(signal);
  });
}

/** Send `bytes` as-is to host:port and collect the whole answer (until the
 * server closes or `idleMs` pass with nothing new). Resolves to
 * { status, headers, body, raw }. */
export function rawRequest(url, bytes, idleMs = 3000) {
  const u = new URL(url);
  return new Promise((resolve) => {
    const sock = net.connect(Number(u.port), u.hostname);
    const chunks = [];
    let timer;
    const done = () => {
      clearTimeout(timer);
      sock.destroy();
      const raw = Buffer.concat(chunks);
      const text = raw.toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const head = split >= 0 ? text.slice(0, split) : text;
      const m = head.match(/^HTTP\/1\.[01] (\d{3})/);
      const headers = {};
      for (const line of head.split('\r\n').slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({ status: m ? Number(m[1]) : 0, headers, body: split >= 0 ? raw.subarray(split + 4) : Buffer.alloc(0), raw: text });
    };
    const arm = () => { clearTimeout(timer); timer = setTimeout(done, idleMs); };
    sock.on('data', (d) => { chunks.push(d); arm(); });
    sock.on('end', done);
    sock.on('error', done);
    sock.on('connect', () => { sock.write(bytes); arm(); });
  });
}

/** GET `target` (sent verbatim) with Connection: close. */
export function get(url, target, method = 'GET') {
  const u = new URL(url);
  return rawRequest(url, `${method} ${target} HTTP/1.1\r\nHost: ${u.host}\r\nConnection: close\r\n\r\n`);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
