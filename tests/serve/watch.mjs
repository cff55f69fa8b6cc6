// watch.mjs - what kbc serve watches: a note in a folder created after it
// started, kb.yaml, an assets/ folder appearing in the project root; that
// editors' scratch files start no build, that a burst of saves makes one
// build, that a save in steps ends with the final text served, that a
// failed build sends its diagnostics as an `errors` event and keeps the
// last good site, and that the build waiting for the next change (started
// ahead of time) can die without harm and is gone after the stop. Waits on
// the server's own event stream, never on the clock. Prints "N passed, N
// failed".
//   node watch.mjs KBC PROJECT
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { check, copyProject, finish, get, sleep, startServe, stop, tempDir } from './lib.mjs';

const [kbc, project] = process.argv.slice(2);
const tmp = tempDir('serve-watch');
const proj = path.join(tmp, 'proj');
fs.mkdirSync(proj);
copyProject(project, proj);
fs.rmSync(path.join(proj, 'assets'), { recursive: true, force: true });
const site = path.join(tmp, 'site');
const server = await startServe(kbc, ['-C', proj, '-o', site, '--port', '0']);
const builds = () => (server.stderr().match(/rebuilt in|build failed/g) || []).length;

// One event stream for the whole test; next() resolves to the next event.
const events = [];
let waiting = null;
let pending = '';
const sock = net.connect(Number(new URL(server.url).port), '127.0.0.1');
sock.on('data', (d) => {
  pending += d.toString();
  for (;;) {
    const m = pending.match(/(event: (\w+)\r?\n((?:data: .*\r?\n)*))\r?\n/);
    if (!m) break;
    pending = pending.slice(m.index + m[0].length);
    events.push({ type: m[2], data: m[3].split(/\r?\n/).filter(Boolean).map((l) => l.slice(6)) });
    if (waiting) { const w = waiting; waiting = null; w(); }
  }
});
sock.write('GET /__kbc/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
await sleep(300);
async function next(what) {
  if (!events.length) {
    await Promise.race([new Promise((r) => { waiting = r; }), sleep(30000)]);
  }
  const e = events.shift();
  if (!e) check(`${what}: an event arrives`, false);
  return e || { type: 'none', data: [] };
}

// The server logs a build before it sends the event, but this process may
// read its socket before its stderr pipe: wait (at most 10 s) until the log
// shows `want` builds since `before`, then a little longer for any extra.
async function buildsSince(before, want) {
  for (let t = 0; t < 100 && builds() - before < want; t++) await sleep(100);
  await sleep(100);
  return builds() - before;
}

// Before each step: let any build still running finish, forget its events.
async function settle() {
  let n = -1;
  while (n !== builds()) { n = builds(); await sleep(400); }
  events.length = 0;
}

// A note in folders created after the server started.
fs.mkdirSync(path.join(proj, 'notes/deep/er'), { recursive: true });
await next('new folders');   // a new folder is a change too
await settle();
fs.writeFileSync(path.join(proj, 'notes/deep/er/fresh.md'), '---\ntitle: Fresh note\n---\nFresh words.\n');
let e = await next('new note in a new folder');
check('new note in a new folder: reload', e.type === 'reload', JSON.stringify(e));
let r = await get(server.url, '/deep/er/fresh.html');
check('new note in a new folder: its page is served', r.status === 200 && r.body.toString().includes('Fresh words.'), r.status);

await settle();
// kb.yaml.
const yaml = path.join(proj, 'kb.yaml');
fs.writeFileSync(yaml, fs.readFileSync(yaml, 'utf8').replace(/^title: .*$/m, 'title: Watched title'));
e = await next('kb.yaml edit');
r = await get(server.url, '/');
check('kb.yaml edit: reload, new title served', e.type === 'reload' && r.body.toString().includes('Watched title'));

await settle();
// An assets/ folder appearing in the root, then a file in it.
fs.mkdirSync(path.join(proj, 'assets'));
e = await next('assets/ created');
await settle();
fs.writeFileSync(path.join(proj, 'assets/extra.txt'), 'extra asset\n');
e = await next('file in the new assets/');
r = await get(server.url, '/assets/extra.txt');
check('file in a new assets/ folder: served after the rebuild', e.type === 'reload' && r.status === 200 &&
  r.body.toString() === 'extra asset\n', r.status);

await settle();
// Scratch files start nothing; the next real save makes exactly one build.
let before = builds();
const notes = path.join(proj, 'notes');
fs.writeFileSync(path.join(notes, '.alpha.md.swp'), 'x');
fs.writeFileSync(path.join(notes, 'alpha.md~'), 'x');
fs.writeFileSync(path.join(notes, '4913'), 'x');
fs.writeFileSync(path.join(notes, '#alpha.md#'), 'x');
await sleep(600);
fs.appendFileSync(path.join(notes, 'alpha.md'), '\nOne real edit.\n');
e = await next('real edit after scratch files');
let n = await buildsSince(before, 1);
check(`scratch files start no build (${n} build for 1 real edit)`, e.type === 'reload' && n === 1);

await settle();
// A burst of saves is one build (maybe two if the machine stalls).
before = builds();
for (let i = 0; i < 20; i++) fs.appendFileSync(path.join(notes, 'beta-note.md'), `\nBurst line ${i}.\n`);
e = await next('burst');
await sleep(800);
while (events.length) events.shift();
check(`a burst of 20 saves: ${builds() - before} build(s)`, e.type === 'reload' && builds() - before >= 1 && builds() - before <= 2);

await settle();
// A save in steps, as vim makes it: the note moved away to a backup, then
// written anew in two parts. The build waits longer after a change that
// did not finish a file, so the site ends with the note's final text
// (one build, maybe two if the machine stalls; never a missing page).
before = builds();
const beta = path.join(notes, 'beta-note.md');
const betaText = fs.readFileSync(beta, 'utf8');
fs.renameSync(beta, `${beta}~`);
await sleep(15);
const fd = fs.openSync(beta, 'w');
fs.writeSync(fd, `${betaText}\nStepwise save, `);
await sleep(5);
fs.writeSync(fd, 'final part.\n');
fs.closeSync(fd);
fs.rmSync(`${beta}~`);
e = await next('save in steps');
await sleep(800);
while (events.length) events.shift();
r = await get(server.url, '/beta-note.html');
check(`a save in steps: ${builds() - before} build(s), the page has the final text`, e.type === 'reload' &&
  builds() - before >= 1 && builds() - before <= 2 && r.status === 200 && r.body.toString().includes('Stepwise save, final part.'),
  `${e.type} ${r.status}`);

await settle();
// A failed build: an errors event with file:line, the last good site kept.
const alpha = path.join(notes, 'alpha.md');
const good = fs.readFileSync(alpha, 'utf8');
fs.writeFileSync(alpha, `${good}\nSee [[Nowhere at all]].\n`);
e = await next('broken link');
const line = `${good}\nSee [[Nowhere at all]].\n`.split('\n').findIndex((l) => l.includes('Nowhere')) + 1;
check(`broken link: errors event with notes/alpha.md:${line}:col`, e.type === 'errors' &&
  e.data.some((d) => d.includes(`notes/alpha.md:${line}:`) && d.includes('error:') && d.includes('Nowhere at all')),
JSON.stringify(e));
r = await get(server.url, '/alpha.html');
check('broken link: the last good page is still served', r.status === 200 && r.body.toString().includes('One real edit.') &&
  !r.body.toString().includes('Nowhere at all'));
await settle();
fs.writeFileSync(alpha, good);
e = await next('fix');
check('fix: reload', e.type === 'reload', JSON.stringify(e));

await settle();
// The next build waits, started ahead of time, as a child of the server.
// Killed while it waits, the next save still builds; at the stop it goes.
const waitingBuilds = () => {
  const r2 = spawnSync('ps', ['-o', 'pid=,args=', '--ppid', String(server.proc.pid)], { encoding: 'utf8' });
  return r2.stdout.split('\n').filter((l) => /kbc build/.test(l)).map((l) => Number(l.trim().split(/\s+/)[0]));
};
let kids = waitingBuilds();
check(`a build waits for the next change (${kids.length} waiting)`, kids.length === 1);
for (const pid of kids) process.kill(pid, 'SIGKILL');
await sleep(200);
before = builds();
fs.appendFileSync(alpha, '\nAfter the waiting build was killed.\n');
e = await next('save after the waiting build was killed');
n = await buildsSince(before, 1);
r = await get(server.url, '/alpha.html');
check('a save after the waiting build was killed: rebuilt', e.type === 'reload' && n === 1 &&
  r.body.toString().includes('After the waiting build was killed.'), `${e.type} ${n}`);
await settle();
kids = waitingBuilds();

sock.destroy();
check('kbc serve stops cleanly', (await stop(server)) === 0, server.stderr());
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };
await sleep(200);
check('no build is left waiting after the stop', kids.length === 1 && !kids.some(alive), JSON.stringify(kids));
finish();
