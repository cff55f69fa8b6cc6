// http.mjs - kbc serve over raw HTTP: it serves exactly the site's files
// and nothing outside it, answers only GET and HEAD, says the right content
// types, binds loopback (and warns otherwise), reports a taken port, and
// cuts off slow clients while answering everyone else.
// usage: node http.mjs KBC PROJECT
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { check, copyProject, finish, get, rawRequest, runServe, sleep, startServe, stop, tempDir } from './lib.mjs';

const [kbc, project] = process.argv.slice(2);
const tmp = tempDir('serve-http');
const proj = path.join(tmp, 'proj');
fs.mkdirSync(proj);
copyProject(project, proj);
// One file per content type, copied into site/assets by the build.
const assets = path.join(proj, 'assets');
fs.mkdirSync(assets, { recursive: true });
const samples = {
  'x.css': 'text/css', 'x.js': 'text/javascript', 'x.svg': 'image/svg+xml', 'x.json': 'application/json',
  'x.xml': 'application/xml', 'x.png': 'image/png', 'x.woff2': 'font/woff2', 'x.txt': 'text/plain',
  'x.bin': 'application/octet-stream', 'x.unknown': 'application/octet-stream',
};
for (const name of Object.keys(samples)) fs.writeFileSync(path.join(assets, name), `sample ${name}\n`);
const secret = path.join(tmp, 'secret.txt');
fs.writeFileSync(secret, 'TOPSECRET-OUTSIDE-THE-SITE\n');
const site = path.join(tmp, 'site');

const server = await startServe(kbc, ['-C', proj, '-o', site, '--port', '0', '-q'], { KBC_SERVE_TIMEOUT: '2' });
const url = server.url;
check('prints a loopback URL', /^http:\/\/127\.0\.0\.1:\d+\/$/.test(url), url);

// Loopback only: the same port on another address of this machine refuses.
const other = Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal);
if (other) {
  const port = Number(new URL(url).port);
  const refused = await new Promise((resolve) => {
    const s = net.connect(port, other.address);
    s.on('connect', () => { s.destroy(); resolve(false); });
    s.on('error', (e) => resolve(e.code === 'ECONNREFUSED'));
  });
  check(`not reachable on ${other.address}`, refused);
} else {
  console.log('note: no non-loopback IPv4 address; loopback-only check skipped');
}

// The files on disk are exactly what kbc build writes.
const built = path.join(tmp, 'built');
execFileSync(kbc, ['build', '-q', '-C', proj, '-o', built]);
const same = (() => {
  try { execFileSync('diff', ['-r', site, built]); return true; } catch (e) { return String(e.stdout); }
})();
check('site on disk is byte-identical to kbc build', same === true, same);

// Pages: the live script is injected in the response only.
let r = await get(url, '/');
check('/ is 200 text/html', r.status === 200 && r.headers['content-type'] === 'text/html; charset=utf-8', r.raw.slice(0, 300));
const body = r.body.toString();
check('live.js is injected before </body>', /<script src="\/__kbc\/live\.js" data-kbc-build="\d+"><\/script><\/body>/.test(body), body.slice(-300));
check('the file on disk has no live.js', !fs.readFileSync(path.join(site, 'index.html'), 'utf8').includes('__kbc'));
check('nosniff on pages', r.headers['x-content-type-options'] === 'nosniff');
check('the page is the site\'s index.html plus the script',
  body.replace(/<script src="\/__kbc\/live\.js"[^>]*><\/script>/, '') === fs.readFileSync(path.join(site, 'index.html'), 'utf8'));
r = await get(url, '/__kbc/live.js');
check('live.js is served as JavaScript', r.status === 200 && r.headers['content-type'].startsWith('text/javascript') &&
  r.body.toString().includes('EventSource'), r.raw.slice(0, 200));
check('live.js builds the overlay without innerHTML', !r.body.toString().includes('innerHTML'));

// Content types.
for (const [name, type] of Object.entries(samples)) {
  r = await get(url, `/assets/${name}`);
  check(`${name}: 200 ${type}`, r.status === 200 && r.headers['content-type'].split(';')[0] === type &&
    r.headers['x-content-type-options'] === 'nosniff' && r.body.toString() === `sample ${name}\n`,
  `${r.status} ${r.headers['content-type']}`);
}
// Files other than pages are revalidated with an ETag; pages never cached.
r = await get(url, '/assets/x.css');
const etag = r.headers.etag;
check('assets: ETag and no-cache', /^"[0-9a-f-]+"$/.test(etag || '') && r.headers['cache-control'] === 'no-cache', r.raw.slice(0, 300));
r = await rawRequest(url, `GET /assets/x.css HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: ${etag}\r\nConnection: close\r\n\r\n`);
check('assets: 304 with no body for a matching If-None-Match', r.status === 304 && r.body.length === 0, r.raw.slice(0, 300));
r = await rawRequest(url, 'GET /assets/x.css HTTP/1.1\r\nHost: 127.0.0.1\r\nIf-None-Match: "other"\r\nConnection: close\r\n\r\n');
check('assets: 200 for another ETag', r.status === 200 && r.body.toString() === 'sample x.css\n', r.status);
r = await get(url, '/alpha.html');
check('pages: no-store, no ETag', r.headers['cache-control'] === 'no-store' && !r.headers.etag, r.raw.slice(0, 300));
r = await get(url, '/alpha.html', 'HEAD');
check('HEAD: 200, headers, no body', r.status === 200 && r.body.length === 0 && Number(r.headers['content-length']) > 0, r.raw.slice(0, 300));

// 404: the site's own 404 page, with the script.
r = await get(url, '/no-such-page.html');
check('missing page: 404 with the site\'s 404.html', r.status === 404 && r.headers['content-type'].startsWith('text/html') &&
  r.body.toString().includes('__kbc/live.js') &&
  r.body.toString().includes(fs.readFileSync(path.join(site, '404.html'), 'utf8').slice(0, 200)), r.raw.slice(0, 300));
r = await get(url, '/guides');
check('folder without slash: 301 to the slash', r.status === 301 && r.headers.location === '/guides/', r.raw.slice(0, 300));
r = await get(url, '/.kbc-site');
check('hidden files are not served', r.status === 404, r.status);

// Methods.
for (const m of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE']) {
  r = await get(url, '/index.html', m);
  check(`${m}: 405 with Allow`, r.status === 405 && r.headers.allow === 'GET, HEAD', r.raw.slice(0, 200));
}
r = await rawRequest(url, `POST /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n\r\nhello`);
check('POST with a body: 405', r.status === 405, r.raw.slice(0, 200));

// Traversal, encoded and double-encoded, NUL, symlinks out of the site.
fs.symlinkSync(secret, path.join(site, 'leak.txt'));
fs.symlinkSync(tmp, path.join(site, 'leakdir'));
fs.symlinkSync('index.html', path.join(site, 'inside.html'));
const attacks = [
  '/../secret.txt', '/../../secret.txt', '/guides/../../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E/secret.txt',
  '/%2e%2e%2fsecret.txt', '/..%2fsecret.txt', '/guides%2f..%2f..%2fsecret.txt', '/%252e%252e/secret.txt',
  '/%252e%252e%252fsecret.txt', '/.%2e/secret.txt', '/..\\secret.txt', '/%2e%2e%5csecret.txt',
  '/leak.txt', '/leakdir/secret.txt', '/leakdir/', '/leakdir/proj/kb.yaml', '//secret.txt',
  '/index.html%00.png', '/%00', `/../${path.relative('/', secret)}`, '/' + '../'.repeat(12) + 'etc/passwd',
  'http://127.0.0.1/../secret.txt', '../secret.txt',
];
for (const a of attacks) {
  r = await get(url, a);
  const text = r.raw;
  check(`refused: ${a} -> ${r.status}`, [400, 403, 404].includes(r.status) && !text.includes('TOPSECRET') &&
    !text.includes('root:x:0'), r.raw.slice(0, 200));
}
// A raw NUL byte ends the path in libmicrohttpd's parser: what is served
// is at most the file named before it, inside the site.
r = await rawRequest(url, 'GET /index.html\0/../../secret.txt HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
check(`raw NUL in the request line: nothing outside the site (${r.status})`, !r.raw.includes('TOPSECRET') &&
  (r.status >= 400 || r.body.toString().includes('<title>Basic test vault</title>')), r.raw.slice(0, 200));
r = await get(url, '/inside.html');
check('a symlink that stays inside the site is served', r.status === 200, r.status);
for (const f of ['leak.txt', 'leakdir', 'inside.html']) fs.unlinkSync(path.join(site, f));

// DNS rebinding: a loopback server answers only to names of this machine.
for (const [host, want] of [['evil.example', 403], ['evil.example:80', 403], ['127.0.0.1.evil.example', 403],
  ['localhost', 200], ['LOCALHOST:1', 200], ['127.0.0.1', 200], ['127.1.2.3:99', 200], ['[::1]:8000', 200], ['app.localhost', 200]]) {
  r = await rawRequest(url, `GET /alpha.html HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  check(`Host: ${host} -> ${want} (${r.status})`, r.status === want);
}
r = await rawRequest(url, 'GET /alpha.html HTTP/1.0\r\n\r\n');
check(`HTTP/1.0 without Host -> 200 (${r.status})`, r.status === 200);

// Request size: headers over the limit are refused, never answered 200.
r = await rawRequest(url, `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
check(`64 KiB of headers refused (${r.status})`, r.status !== 200, r.raw.slice(0, 200));

// Event streams: the first event tells a page from an older build to reload.
const first = net.connect(Number(new URL(url).port), '127.0.0.1');
let firstGot = '';
first.on('data', (d) => { firstGot += d; });
first.write('GET /__kbc/events?since=0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
await sleep(1000);
check('events: text/event-stream with a reload for an old page', /content-type: text\/event-stream/i.test(firstGot) &&
  /event: reload\r?\ndata: \d+/.test(firstGot), firstGot.slice(0, 400));

// Slow clients: one that dribbles its headers a byte at a time is cut off
// after the timeout (2 s here), while 20 such clients and 64 open event
// streams don't stop the others from being answered.
const streams = [];
for (let i = 0; i < 70; i++) {
  const s = net.connect(Number(new URL(url).port), '127.0.0.1');
  s.on('error', () => {});
  s.write('GET /__kbc/events?since=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  let got = '';
  s.on('data', (d) => { got += d; });
  streams.push({ s, got: () => got });
}
const slow = [];
for (let i = 0; i < 20; i++) {
  const s = net.connect(Number(new URL(url).port), '127.0.0.1');
  const st = { s, closedAt: 0, sent: 0 };
  const started = Date.now();
  s.on('close', () => { st.closedAt = Date.now() - started; });
  s.on('error', () => {});
  const line = `GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${'z'.repeat(200)}\r\n\r\n`;
  const tick = setInterval(() => {
    if (st.closedAt || st.sent >= line.length) { clearInterval(tick); return; }
    s.write(line[st.sent++]);
  }, 100);
  slow.push(st);
}
let answered = 0;
let asked = 0;
for (let i = 0; i < 20; i++) {
  asked++;
  r = await get(url, '/alpha.html');
  if (r.status === 200) answered++;
  await sleep(250);
}
await sleep(1000);
check(`other clients answered while slow clients and streams are open (${answered}/${asked})`, answered === asked);
const cut = slow.filter((st) => st.closedAt > 0 && st.sent < 230);
check(`slow clients cut off before sending their headers (${cut.length}/20, after ${Math.max(...slow.map((s) => s.closedAt))} ms at most)`,
  cut.length === 20, slow.map((s) => `${s.closedAt}ms/${s.sent}`).join(' '));
const refusedStreams = streams.filter((st) => /^HTTP\/1\.1 503/.test(st.got())).length;
const openStreams = streams.filter((st) => /^HTTP\/1\.1 200/.test(st.got())).length;
// 64 at most: the one opened above and 63 of these 70.
check(`event streams capped at 64 (1 + ${openStreams} open, ${refusedStreams} refused)`, openStreams === 63 && refusedStreams === 7);
for (const st of streams) st.s.destroy();
first.destroy();

// A taken port is reported; a non-loopback bind warns.
const port = new URL(url).port;
const taken = await runServe(kbc, ['-C', proj, '-o', site, '--port', port]);
check('taken port: exit 2 and says so', taken.code === 2 && /already in use/.test(taken.stderr), taken.stderr);
const noRoot = await runServe(kbc, ['-C', path.join(tmp, 'nowhere'), '--port', '0']);
check('missing project root: exit 3', noRoot.code === 3 && /not a folder/.test(noRoot.stderr), noRoot.stderr);
const refused = await runServe(kbc, ['-C', proj, '-o', path.join(proj, 'notes'), '--port', '0']);
check('refused output folder: exit 2, nothing served', refused.code === 2 && /not serving/.test(refused.stderr), refused.stderr);
const wide = await startServe(kbc, ['-C', proj, '-o', path.join(tmp, 'site2'), '--host', '0.0.0.0', '--port', '0', '-q']);
check('non-loopback bind: a warning', /warning: .*not a loopback address/.test(wide.stderr()), wide.stderr());
check('non-loopback bind: stops cleanly', (await stop(wide)) === 0);

const sigint = await startServe(kbc, ['-C', proj, '-o', path.join(tmp, 'site3'), '--port', '0', '-q']);
check('SIGINT (Ctrl-C): exit 0', (await stop(sigint, 'SIGINT')) === 0, sigint.stderr());
const code = await stop(server);
check(`SIGTERM: exit 0 (${code})`, code === 0, server.stderr());
finish();
