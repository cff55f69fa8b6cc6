// browser.mjs - launch Debian's chromium through playwright-core with the
// flags this project's machines need (no sandbox as root, no background
// network, no downloads of components).
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.KBC_CHROMIUM || '/usr/bin/chromium';

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}

/** Collect console errors, page errors and failed requests of a page. */
export function watch(page) {
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  // A request cut short because the page navigated away is not a failure.
  page.on('requestfailed', (r) => {
    if (r.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`);
  });
  return problems;
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.bin': 'application/octet-stream', '.xml': 'application/xml',
  '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.txt': 'text/plain' };

/** Serve `root` read-only under /site/ on 127.0.0.1 at a free port, as a
 * static host would (index.html for folders, content types, 404s). Resolves
 * to { base, close }, base being the URL of the site root.
 * Options: `prefix` the subpath instead of '/site/' (starts and ends with
 * '/'); `port` a fixed port instead of a free one; `notFound` a file under
 * root sent with status 404 for a missing path under the prefix, as GitHub
 * Pages sends 404.html; `ranges` false to ignore Range headers (the whole
 * file, status 200, as some servers do) instead of answering a single
 * range `bytes=A-B` with 206 and that part, as static hosts do. */
export async function serveDir(root, { prefix = '/site/', port = 0, notFound = null, ranges = true } = {}) {
  const http = await import('node:http');
  const fs = await import('node:fs');
  const path = await import('node:path');
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    let rel = decodeURIComponent(u.pathname);
    if (!rel.startsWith(prefix)) { res.writeHead(404); res.end(); return; }
    rel = path.normalize(rel.slice(prefix.length));
    if (rel.startsWith('..')) { res.writeHead(403); res.end(); return; }
    let file = path.join(root, rel);
    let status = 200;
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!fs.existsSync(file) && notFound) { file = path.join(root, notFound); status = 404; }
    if (!fs.existsSync(file)) { res.writeHead(404); res.end(); return; }
    let body = fs.readFileSync(file);
    const type = TYPES[path.extname(file)] || 'application/octet-stream';
    const r = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range || '');
    if (ranges && status === 200 && r) {
      const [a, b] = [Number(r[1]), Math.min(Number(r[2]), body.length - 1)];
      if (a > b) { res.writeHead(416, { 'content-range': `bytes */${body.length}` }); res.end(); return; }
      res.writeHead(206, { 'content-type': type, 'content-range': `bytes ${a}-${b}/${body.length}`, 'content-length': b - a + 1 });
      res.end(body.subarray(a, b + 1));
      return;
    }
    res.writeHead(status, { 'content-type': type, 'content-length': body.length });
    res.end(body);
  });
  await new Promise((resolve, reject) => { server.once('error', reject); server.listen(port, '127.0.0.1', resolve); });
  return { base: `http://127.0.0.1:${server.address().port}${prefix}`, close: () => new Promise((r) => server.close(r)) };
}
