// csp.mjs - the Content-Security-Policy of a built site, in chromium.
//
// Every page must carry kbc's policy in a <meta http-equiv>, and using the
// site must not trip it: each page is opened, then search is opened and a
// query typed (search shards load), a link preview is shown (preview data
// loads) and the graph page is opened, with a `securitypolicyviolation`
// listener installed before any page script runs and the console watched
// for "Content Security Policy" messages. Then the policy is shown to bite
// (so this test can fail): an inline script, an inline event handler and a
// javascript: URL injected into a page do not run, and each is reported as
// a violation.
//   node tests/browser/csp.mjs SITE_DIR [--http] [--query WORD]
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { launch, serveDir } from './browser.mjs';

const args = process.argv.slice(2);
const qi = args.indexOf('--query');
const query = qi >= 0 ? args[qi + 1] : 'the';
const site = path.resolve(args.find((a, i) => !a.startsWith('--') && (qi < 0 || i !== qi + 1)) || '.');
const http = args.includes('--http');
let passed = 0;
let failed = 0;
const check = (ok, msg) => { if (ok) passed++; else { failed++; console.log(`FAIL ${msg}`); } };

const pages = [];
(function walk(dir, rel) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.isDirectory()) walk(path.join(dir, e.name), rel + e.name + '/');
    else if (e.name.endsWith('.html')) pages.push(rel + e.name);
  }
})(site, '');

const server = http ? await serveDir(site) : null;
const url = (rel, search = '') => (server ? server.base + rel : pathToFileURL(path.join(site, rel)).href) + search;
const label = http ? 'HTTP' : 'file://';

const browser = await launch();
const context = await browser.newContext();
// Runs before any script of the page, in every document.
await context.addInitScript(() => {
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`);
  });
});
const page = await context.newPage();
const consoleCsp = [];
page.on('console', (m) => { if (/Content.Security.Policy/i.test(m.text())) consoleCsp.push(m.text()); });
const violations = async (what) => {
  const v = await page.evaluate(() => window.__csp.splice(0));
  const c = consoleCsp.splice(0);
  check(v.length === 0 && c.length === 0, `${label} ${what}: no CSP violation: ${[...v, ...c].join('; ')}`);
};

const POLICY = /default-src 'none'.*script-src 'self'.*object-src 'none'.*base-uri 'none'/;
for (const rel of pages) {
  await page.goto(url(rel));
  const csp = await page.evaluate(() => [...document.querySelectorAll('meta[http-equiv="Content-Security-Policy" i]')]
    .map((m) => [m.getAttribute('content'), m.parentElement.tagName, [...document.head.children].indexOf(m)]));
  check(csp.length === 1 && POLICY.test(csp[0][0]) && csp[0][1] === 'HEAD',
    `${rel}: one CSP meta in <head> with kbc's policy (got ${JSON.stringify(csp)})`);
  // Before any script or stylesheet, so that the policy covers them all.
  const firstLoad = await page.evaluate(() => [...document.head.children].findIndex((e) => e.matches('script, link[rel=stylesheet]')));
  check(csp.length === 1 && csp[0][2] < firstLoad, `${rel}: the CSP comes before the first script or stylesheet`);
  await page.waitForLoadState('load');
  await violations(rel);
}

// Search: the dialog, a query, its shards.
const home = pages.includes('index.html') ? 'index.html' : pages[0];
await page.goto(url(home));
await page.waitForLoadState('load');
await page.keyboard.press('/');
await page.keyboard.type(query, { delay: 10 });
const listed = await page.waitForSelector(`#kbc-search-list[data-query="${query}"]`, { timeout: 15000 }).then(() => true, () => false);
check(listed, `${label} search lists results for '${query}'`);
await violations('search');
await page.keyboard.press('Escape');
if (pages.includes('search.html')) {
  await page.goto(url('search.html', `?q=${encodeURIComponent(query)}`));
  await page.waitForLoadState('load');
  await page.waitForTimeout(0);
  await page.waitForSelector('.kbc-search-item, .search-results li', { timeout: 15000 }).catch(() => {});
  await violations('search.html');
}

// A link preview.
const withLink = pages.find((p) => !p.includes('/') && p !== 'index.html' && p !== 'search.html') || home;
await page.goto(url(withLink));
const link = page.locator('main .content a.internal').first();
if (await link.count()) {
  await link.hover();
  const shown = await page.locator('.kbc-preview').waitFor({ state: 'visible', timeout: 5000 }).then(() => true, () => false);
  check(shown, `${label} a preview appears on ${withLink}`);
  await violations('preview');
}

// The graph, with its hover highlighting.
if (pages.includes('graph.html')) {
  await page.goto(url('graph.html'));
  await page.waitForLoadState('load');
  const node = page.locator('svg a').first();
  if (await node.count()) await node.hover().catch(() => {});
  await violations('graph');
}

// The policy bites: injected script does not run and is reported.
await page.goto(url(home));
await page.waitForLoadState('load');
const injected = await page.evaluate(async () => {
  window.__ran = [];
  const s = document.createElement('script');
  s.textContent = 'window.__ran.push("inline")';
  document.body.appendChild(s);
  const img = document.createElement('img');
  img.setAttribute('onerror', 'window.__ran.push("onerror")');
  img.src = 'data:,x';
  document.body.appendChild(img);
  const a = document.createElement('a');
  a.href = 'javascript:window.__ran.push("href")';
  document.body.appendChild(a);
  a.click();
  await new Promise((r) => setTimeout(r, 300));
  return { ran: window.__ran, reported: window.__csp.splice(0) };
});
consoleCsp.splice(0);
check(injected.ran.length === 0, `${label} injected script did not run (ran: ${injected.ran.join(', ')})`);
check(injected.reported.filter((r) => /script-src/.test(r)).length >= 3,
  `${label} the inline script, the handler and the javascript: URL were each reported: ${injected.reported.join('; ')}`);

await browser.close();
if (server) await server.close();
console.log(`${label}: ${pages.length} pages`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
