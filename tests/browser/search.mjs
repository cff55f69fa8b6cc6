// search.mjs - the site search in chromium, from file:// and over HTTP.
//
// Usage: node tests/browser/search.mjs KBC_BINARY SITE_DIR...
// Each SITE_DIR is a built site (tools: `kbc build -o SITE_DIR`). For each,
// opened from disk and from a local HTTP server this test starts on
// 127.0.0.1 (a random free port, the site under the subpath /site/, closed
// at the end): "/" opens the dialog, typing a query shows the same first
// result as `kbc search --live`, Tab keeps focus inside the dialog, Escape
// closes it and gives focus back, Ctrl-K opens it again, Enter opens the
// first result, whose page has <mark class="kbc-hit"> highlights and the
// anchor in its URL; search.html?q= lists the results `kbc search` gives;
// markup typed into the box stays text. Console errors, page errors and
// failed requests must be none. Over HTTP it runs twice: against a server
// that answers Range requests (shards are fetched as ranges of their run's
// .bin file, status 206) and against one that ignores them (the whole file,
// which the reader cuts). It also records the bytes a fresh page loads for
// a one-word query and prints them. Prints "N passed, N failed".
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { launch, watch, serveDir } from './browser.mjs';

const [kbcArg, ...siteArgs] = process.argv.slice(2);
if (!kbcArg || !siteArgs.length) {
  console.error('usage: node tests/browser/search.mjs KBC_BINARY SITE_DIR...');
  process.exit(2);
}
const kbc = kbcArg.includes('/') ? path.resolve(kbcArg) : kbcArg;
const TIMEOUT = 15000;
let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) passed++;
  else { failed++; console.log(`FAIL ${name}${detail ? ': ' + detail : ''}`); }
}

// `kbc search` results as [{url, score}] ("url" with its #anchor).
function cSearch(site, q, live) {
  const args = ['search', '-o', site, '--tsv', '-n', '100000', ...(live ? ['--live'] : []), q];
  const r = spawnSync(kbc, args, { cwd: site, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kbc search ${q}: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')).map((f) => ({ url: f[3], score: f[2] }));
}

// Percent-encoding as kbc writes links (src/text.c url_encode).
function enc(s, keepSlash) {
  return [...Buffer.from(s, 'utf8')].map((b) => {
    const c = String.fromCharCode(b);
    return /[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === '/') ? c : '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }).join('');
}
function encTarget(url) {   // "dir/page.html#anchor" as it appears in an href
  const i = url.indexOf('#');
  return i < 0 ? enc(url, true) : enc(url.slice(0, i), true) + '#' + enc(url.slice(i + 1), false);
}
// An href or URL without its ?query, relative to `base`.
function target(href, base) {
  const u = new URL(href, base);
  return decodeURIComponent(u.pathname.slice(new URL(base).pathname.length)) + (u.hash ? decodeURIComponent(u.hash) : '');
}

const inDialog = (page) => page.evaluate(() => !!document.activeElement.closest('.kbc-search-dialog'));
const dialogOpen = (page) => page.evaluate(() => {
  const b = document.querySelector('.kbc-search-backdrop');
  return !!b && !b.hidden && b.querySelector('[role="dialog"][aria-modal="true"]') !== null;
});

async function run(browser, site, base, label) {
  const page = await browser.newPage();
  const problems = watch(page);
  page.on('response', (r) => { if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`); });
  const Q = 'event loop';
  const live = cSearch(site, Q, true);
  const plain = cSearch(site, Q, false);
  check(`${label}: kbc search has results for "${Q}"`, live.length > 0 && plain.length > 0);
  if (!live.length || !plain.length) { await page.close(); return; }

  await page.goto(base + 'index.html');
  await page.focus('a.site-title');
  await page.keyboard.press('/');
  await page.keyboard.type(Q, { delay: 20 });
  await page.waitForSelector(`#kbc-search-list[data-query="${Q}"]`, { timeout: TIMEOUT });
  check(`${label}: "/" opens a modal dialog with focus in its box`, await dialogOpen(page) &&
    await page.evaluate(() => document.activeElement.id === 'kbc-search-dialog-input'));
  const first = await page.getAttribute('.kbc-search-item[aria-selected="true"] a', 'href');
  check(`${label}: first result is kbc search --live's`, first && target(first, base) === live[0].url,
    `${first} vs ${live[0].url}`);
  check(`${label}: results show a title and a snippet with the matched words marked`, await page.evaluate(() =>
    [...document.querySelectorAll('.kbc-search-item a')].every((a) => {
      const snip = a.querySelector('.kbc-result-snippet');
      return a.querySelector('.kbc-result-title').textContent !== '' && snip &&
        (!/\b(event|loop)\b/i.test(snip.textContent) || snip.querySelector('mark') !== null);
    })));

  let trapped = true;
  for (const key of ['Tab', 'Tab', 'Tab', 'Tab', 'Shift+Tab', 'Shift+Tab', 'Shift+Tab']) {
    await page.keyboard.press(key);
    trapped = trapped && await inDialog(page);
  }
  check(`${label}: Tab keeps focus inside the dialog`, trapped);
  await page.keyboard.press('Escape');
  check(`${label}: Escape closes and restores focus`, !(await dialogOpen(page)) &&
    await page.evaluate(() => document.activeElement.matches('a.site-title')));

  await page.keyboard.press('Control+k');
  await page.waitForSelector('.kbc-search-backdrop:not([hidden])', { timeout: TIMEOUT });
  check(`${label}: Ctrl-K opens the dialog again`, await inDialog(page));
  await page.fill('#kbc-search-dialog-input', '<img src=x onerror="window.pwned=1"><b>loop</b>');
  await page.waitForSelector('#kbc-search-list[data-query^="<img"]', { timeout: TIMEOUT });
  check(`${label}: markup in a query stays text`, await page.evaluate(() =>
    !window.pwned && !document.querySelector('.kbc-search-dialog img, .kbc-search-dialog b')));
  await page.fill('#kbc-search-dialog-input', Q);
  await page.waitForSelector(`#kbc-search-list[data-query="${Q}"]`, { timeout: TIMEOUT });
  await Promise.all([page.waitForNavigation({ timeout: TIMEOUT }), page.keyboard.press('Enter')]);
  const u = new URL(page.url());
  const anchor = live[0].url.includes('#') ? live[0].url.slice(live[0].url.indexOf('#')) : '';
  check(`${label}: Enter opens the first result with ?q= and its anchor`,
    target(page.url(), base) === live[0].url && u.searchParams.get('q') === Q && (!anchor || u.hash !== ''),
    page.url());
  await page.waitForSelector('main .content mark.kbc-hit', { timeout: TIMEOUT }).catch(() => {});
  const marks = await page.$$eval('mark.kbc-hit', (m) => m.map((x) => x.textContent.toLowerCase()));
  check(`${label}: the target page marks the hits`, marks.length > 0 && marks.some((m) => /event|loop/.test(m)),
    `${marks.length} marks`);

  await page.goto(base + 'search.html?q=' + encodeURIComponent(Q));
  await page.waitForSelector(`#kbc-search-results[data-query="${Q}"]`, { timeout: TIMEOUT });
  const listed = await page.$$eval('.kbc-search-page-list a', (as) => as.map((a) => a.getAttribute('href')));
  const count = await page.textContent('.kbc-search-count');
  check(`${label}: search.html?q= lists kbc search's results`,
    listed.length === Math.min(20, plain.length) && target(listed[0], base) === plain[0].url &&
    count.startsWith(`${plain.length} result`), `${listed.length} listed, "${count}", first ${listed[0]}`);
  await page.fill('#kbc-search-page-input', 'loop');
  await page.waitForSelector('#kbc-search-results[data-query="loop"]', { timeout: TIMEOUT });
  check(`${label}: the search page keeps the URL in sync`, new URL(page.url()).searchParams.get('q') === 'loop');

  check(`${label}: no console errors or failed requests`, problems.length === 0, problems.join('; '));
  await page.close();
}

// Bytes a fresh page loads over HTTP after "/" and a one-word query.
async function bytesForOneWord(browser, base, word) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(base + 'index.html');
  const sizes = [];
  page.on('response', (r) => sizes.push(r.body().then((b) => [r.url(), b.length, r.status()], () => [r.url(), 0, r.status()])));
  await page.keyboard.press('/');
  await page.waitForSelector('#kbc-search-dialog-input:focus', { timeout: TIMEOUT });
  await page.fill('#kbc-search-dialog-input', word);
  await page.waitForSelector(`#kbc-search-list[data-query="${word}"]`, { timeout: TIMEOUT });
  const all = await Promise.all(sizes);
  await ctx.close();
  const index = all.filter(([u]) => /\/search\/[^/]+\.bin$/.test(u));
  const sum = (l) => l.reduce((a, [, n]) => a + n, 0);
  const names = index.map(([u]) => u.replace(/.*\//, ''));
  return { total: sum(all), index: sum(index), files: names.join(' '),
    terms: names.filter((n) => n.startsWith('t-')).length, metas: names.filter((n) => n === 'meta.bin').length,
    shards: index.filter(([u]) => !u.endsWith('/meta.bin')).length,
    partial: index.filter(([u, , st]) => !u.endsWith('/meta.bin') && st === 206).length };
}

const browser = await launch();
const servers = [];
try {
  for (const s of siteArgs) {
    const site = path.resolve(s);
    await run(browser, site, pathToFileURL(site).href + '/', `${path.basename(site)} file://`);
    const server = await serveDir(site);
    servers.push(server);
    const base = server.base;
    await run(browser, site, base, `${path.basename(site)} http`);
    const b = await bytesForOneWord(browser, base, 'loop');
    console.log(`${path.basename(site)}: one-word query "loop" over HTTP loaded ${b.total} bytes ` +
      `(index ${b.index}: ${b.files}; the rest scripts and styles)`);
    check(`${path.basename(site)}: a one-word query loads the meta block once and one terms shard`,
      b.metas === 1 && b.terms === 1, b.files);
    check(`${path.basename(site)}: each shard is fetched as a range of its file (206)`,
      b.shards > 0 && b.partial === b.shards, `${b.partial} of ${b.shards}`);
    const whole = await serveDir(site, { ranges: false });
    servers.push(whole);
    await run(browser, site, whole.base, `${path.basename(site)} http, Range ignored`);
  }
} catch (e) {
  failed++;
  console.log(`FAIL ${e.stack || e}`);
} finally {
  await browser.close();
  for (const s of servers) await s.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
