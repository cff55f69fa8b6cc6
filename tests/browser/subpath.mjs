// subpath.mjs - the site as GitHub Pages publishes it: under a subpath.
//
// Usage: node tests/browser/subpath.mjs KBC_BINARY PROJECT_DIR [--repo NAME]
// Picks a free port on 127.0.0.1, builds PROJECT_DIR with
// `kbc build --base-url http://127.0.0.1:PORT/NAME/` (NAME default "repo"), the
// way docs/ci/github-pages.yml builds for https://OWNER.github.io/REPO/, and
// serves it there, answering a missing path with 404.html as GitHub Pages
// does. Then, in chromium:
//  - links.mjs --http --prefix /NAME/: every page loads without a console
//    error or failed request, and every internal link and anchor lands
//    (404.html's links, which are absolute, included);
//  - a missing page deep under the subpath gets the 404 page with its styles,
//    and its home link leads to the site's home;
//  - search: "/" then a query shows `kbc search --live`'s first result, Enter
//    opens it under the subpath with the hits marked, and search.html?q=
//    lists `kbc search`'s results; every request stays under /NAME/;
//  - sitemap.xml and the canonical link name URLs under the base, and each
//    sitemap URL answers 200.
// Prints "N passed, N failed"; exit status 1 when any check fails.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { launch, watch, serveDir } from './browser.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const repoAt = args.indexOf('--repo');
const repo = repoAt >= 0 ? args.splice(repoAt, 2)[1] : 'repo';
const [kbcArg, projectArg] = args;
if (!kbcArg || !projectArg || !/^[A-Za-z0-9._-]+$/.test(repo || '')) {
  console.error('usage: node tests/browser/subpath.mjs KBC_BINARY PROJECT_DIR [--repo NAME]');
  process.exit(2);
}
const kbc = path.resolve(kbcArg);
const project = path.resolve(projectArg);
const TIMEOUT = 15000;
let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) passed++;
  else { failed++; console.log(`FAIL ${name}${detail ? ': ' + detail : ''}`); }
}

const port = await new Promise((resolve, reject) => {
  const s = net.createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
});
const prefix = `/${repo}/`;
const base = `http://127.0.0.1:${port}${prefix}`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kbc-subpath-'));
const site = path.join(tmp, 'site');

let server = null;
let browser = null;
try {
  const b = spawnSync(kbc, ['build', '-q', '-C', project, '-o', site, '--base-url', base], { encoding: 'utf8' });
  check('kbc build --base-url for the subpath', b.status === 0, b.stderr.trim());
  if (b.status !== 0) throw new Error('no site to test');

  // 1. Every page and internal link, served under the subpath.
  const l = spawnSync('node', [path.join(HERE, 'links.mjs'), site, '--http', '--prefix', prefix, '--port', String(port)],
    { encoding: 'utf8' });
  const summary = l.stdout.trim().split('\n').slice(-2).join('; ');
  console.log(`links.mjs under ${prefix}: ${summary}`);
  check(`every page loads and every internal link lands under ${prefix}`, l.status === 0 && / 0 failed$/.test(l.stdout.trim()),
    l.stdout.split('\n').filter((x) => x.startsWith('FAIL')).slice(0, 5).join('; ') + l.stderr.trim());

  server = await serveDir(site, { prefix, port, notFound: '404.html' });
  browser = await launch();
  const page = await browser.newPage();
  const problems = watch(page);
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().includes('/no/such/')) problems.push(`HTTP ${r.status()} ${r.url()}`);
  });

  // 2. The 404 page, for a missing path deep under the subpath.
  const resp = await page.goto(base + 'no/such/page.html');
  check('a missing page answers 404 with the 404 page', resp && resp.status() === 404 &&
    await page.evaluate(() => !!document.querySelector('main')));
  check('the 404 page has its styles', await page.evaluate(() =>
    [...document.styleSheets].some((s) => s.href && s.cssRules.length > 0)));
  const home = await page.$('a.site-title');
  if (home) {
    await Promise.all([page.waitForNavigation({ timeout: TIMEOUT }), home.click()]);
    check('the 404 page links home under the subpath', page.url() === base || page.url() === base + 'index.html', page.url());
  } else check('the 404 page has a home link', false);
  // Loading the 404 page itself logs its status as a console error.
  problems.splice(0, problems.length, ...problems.filter((p) => !/status of 404/.test(p)));

  // 3. Search over HTTP under the subpath.
  const cSearch = (q, live) => {
    const r = spawnSync(kbc, ['search', '-o', site, '--tsv', '-n', '100000', ...(live ? ['--live'] : []), q],
      { cwd: site, encoding: 'utf8' });
    return r.status === 0 ? r.stdout.split('\n').filter(Boolean).map((x) => x.split('\t')[3]) : [];
  };
  const rel = (u) => {
    const x = new URL(u, base);
    return x.pathname.startsWith(prefix) ? decodeURIComponent(x.pathname.slice(prefix.length)) + decodeURIComponent(x.hash) : null;
  };
  const Q = 'event loop';
  const live = cSearch(Q, true);
  const plain = cSearch(Q, false);
  check(`kbc search has results for "${Q}"`, live.length > 0 && plain.length > 0);
  await page.goto(base + 'index.html');
  await page.focus('a.site-title');
  await page.keyboard.press('/');
  await page.keyboard.type(Q, { delay: 20 });
  await page.waitForSelector(`#kbc-search-list[data-query="${Q}"]`, { timeout: TIMEOUT });
  const first = await page.$eval('.kbc-search-item[aria-selected="true"] a', (a) => a.href);
  check('the dialog\'s first result is kbc search --live\'s, under the subpath', rel(first) === live[0], `${first} vs ${live[0]}`);
  await Promise.all([page.waitForNavigation({ timeout: TIMEOUT }), page.keyboard.press('Enter')]);
  check('Enter opens the first result under the subpath', rel(page.url()) !== null &&
    rel(page.url().replace(/\?[^#]*/, '')) === live[0], page.url());
  await page.waitForSelector('main mark.kbc-hit', { timeout: TIMEOUT }).catch(() => {});
  check('the opened page marks the hits', (await page.$$('main mark.kbc-hit')).length > 0);
  await page.goto(base + 'search.html?q=' + encodeURIComponent(Q));
  await page.waitForSelector(`#kbc-search-results[data-query="${Q}"]`, { timeout: TIMEOUT });
  const listed = await page.$$eval('.kbc-search-page-list a', (as) => as.map((a) => a.href));
  check('search.html?q= lists kbc search\'s results', listed.length > 0 && rel(listed[0]) === plain[0],
    `${listed[0]} vs ${plain[0]}`);
  const index = requests.filter((u) => /\/search\//.test(u));
  check('the search index was loaded from under the subpath', index.length > 0 && index.every((u) => u.startsWith(base)));
  const outside = requests.filter((u) => !u.startsWith(base) && !u.startsWith('data:'));
  check('no request left the subpath', outside.length === 0, outside.slice(0, 3).join(' '));
  check('no console error, page error or failed request', problems.length === 0, problems.slice(0, 5).join('; '));

  // 4. Absolute URLs: sitemap and canonical link.
  const sitemap = fs.readFileSync(path.join(site, 'sitemap.xml'), 'utf8');
  const locs = [...sitemap.matchAll(/<loc>([^<]*)<\/loc>/g)].map((m) => m[1].replace(/&amp;/g, '&'));
  const bad = [];
  for (const u of locs) {
    const r = u.startsWith(base) ? await fetch(u) : null;
    if (!r || r.status !== 200) bad.push(u);
  }
  check(`every sitemap.xml URL is under the base and answers 200 (${locs.length})`, locs.length > 0 && bad.length === 0,
    bad.slice(0, 3).join(' '));
  await page.goto(base + 'index.html');
  const canonical = await page.getAttribute('link[rel="canonical"]', 'href');
  check('the home page\'s canonical link is the base URL', canonical === base, canonical);
} catch (e) {
  failed++;
  console.log(`FAIL ${e.stack || e}`);
} finally {
  if (browser) await browser.close();
  if (server) await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
