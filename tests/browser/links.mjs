// links.mjs - open every page of a built site in chromium from file:// and
// check that every internal link lands on an existing page and, when it has
// a fragment, on an element with that id. Also clicks one internal link per
// page to prove navigation works from disk. Prints "N passed, N failed".
//   node tests/browser/links.mjs SITE_DIR [--http [--prefix /P/] [--port N]]
// With --http the site is served on 127.0.0.1 and opened over HTTP instead,
// under the subpath /site/ (or --prefix) at a free port (or --port).
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { launch, watch, serveDir } from './browser.mjs';
import { htmlFiles } from './site.mjs';

const site = path.resolve(process.argv[2] || 'site');
const argAfter = (flag) => { const i = process.argv.indexOf(flag); return i > 0 ? process.argv[i + 1] : undefined; };
const http = process.argv.includes('--http')
  ? await serveDir(site, { prefix: argAfter('--prefix') || '/site/', port: Number(argAfter('--port') || 0) }) : null;
// The URL of a page file, and the page file of a URL.
const urlOf = (file) => (http ? http.base + path.relative(site, file).split(path.sep).map(encodeURIComponent).join('/')
  : pathToFileURL(file).href);
const fileOf = (u) => (http ? path.join(site, decodeURIComponent(u.pathname.slice(new URL(http.base).pathname.length)))
  : fileURLToPath(new URL(u.pathname, u)));
let passed = 0;
let failed = 0;
const fail = (msg) => { failed++; console.log(`FAIL ${msg}`); };


const browser = await launch();
const page = await browser.newPage();
const problems = watch(page);
const idsByFile = new Map();   // file path -> Set of ids
const links = [];              // {from, href, url}

for (const file of htmlFiles(site)) {
  const url = urlOf(file);
  problems.length = 0;
  const resp = await page.goto(url);
  if (!resp || !resp.ok()) { fail(`${file}: did not load`); continue; }
  const data = await page.evaluate(() => ({
    ids: [...document.querySelectorAll('[id]')].map((e) => e.id),
    hrefs: [...document.querySelectorAll('a[href]')].map((a) => ({ raw: a.getAttribute('href'),
      abs: typeof a.href === 'string' ? a.href : new URL(a.getAttribute('href'), document.baseURI).href })),
  }));
  idsByFile.set(file, new Set(data.ids));
  for (const h of data.hrefs) {
    if (!h.abs.startsWith(http ? http.base : 'file:')) continue;
    links.push({ from: file, href: h.raw, url: h.abs });
  }
  if (problems.length) fail(`${file}: ${problems.join('; ')}`);
  else passed++;
}

for (const l of links) {
  const u = new URL(l.url);
  let target = fileOf(u);
  if (target.endsWith(path.sep) || (fs.existsSync(target) && fs.statSync(target).isDirectory())) {
    target = path.join(target, 'index.html');
  }
  if (!idsByFile.has(target)) {
    fail(`${path.relative(site, l.from)}: link '${l.href}' -> missing page ${target}`);
    continue;
  }
  const id = decodeURIComponent(u.hash.slice(1));
  if (id && !idsByFile.get(target).has(id)) {
    fail(`${path.relative(site, l.from)}: link '${l.href}' -> no element #${id} in ${path.relative(site, target)}`);
    continue;
  }
  passed++;
}

// Navigation by clicking: the first link in each page's content that goes
// to another page with a fragment lands on that page and that element.
let clicked = 0;
for (const file of htmlFiles(site)) {
  await page.goto(urlOf(file));
  const handle = await page.$('main a.internal[href*="#"]:not([href^="#"])');
  if (!handle) continue;
  const href = await handle.evaluate((a) => a.href);
  await Promise.all([page.waitForURL(href), handle.click()]);
  const ok = await page.evaluate(() => {
    const id = decodeURIComponent(location.hash.slice(1));
    return !!document.getElementById(id);
  });
  if (ok) { passed++; clicked++; } else fail(`${file}: clicking ${href} did not land on its element`);
}

await browser.close();
if (http) await http.close();
console.log(`${http ? 'http' : 'file'}: pages: ${idsByFile.size}, internal links checked: ${links.length}, clicked: ${clicked}`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
