// previews.mjs - link previews in chromium from file://: hovering an
// internal link shows the target's title and section start; keyboard focus
// shows it too; Escape closes it; no console errors.
//   node tests/browser/previews.mjs SITE_DIR PAGE [--links N]
// --links N: then hover N more links to distinct pages, each of which must
// preview its own target; on a site with several preview shards, only the
// shards of the hovered links may be loaded, never all of them.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { launch, watch } from './browser.mjs';

const site = path.resolve(process.argv[2]);
const pageName = process.argv[3] || 'alpha.html';
const nLinks = process.argv.indexOf('--links') > 0 ? Number(process.argv[process.argv.indexOf('--links') + 1]) : 0;
let passed = 0;
let failed = 0;
const check = (ok, msg) => { if (ok) passed++; else { failed++; console.log(`FAIL ${msg}`); } };

const browser = await launch();
const page = await browser.newPage();
const problems = watch(page);
const loaded = [];   // preview data files the page asked for
page.on('request', (r) => { if (/\/previews(\/p-\d+)?\.js$/.test(r.url()) && !r.url().includes('/assets/')) loaded.push(r.url()); });
await page.goto(pathToFileURL(path.join(site, pageName)).href);

const link = page.locator('main .content a.internal').first();
const href = await link.getAttribute('href');
await link.hover();
const box = page.locator('.kbc-preview');
await box.waitFor({ state: 'visible', timeout: 5000 }).catch(() => {});
check(await box.isVisible(), `hovering ${href} shows a preview`);
const text = (await box.textContent({ timeout: 1000 }).catch(() => '')) || '';
const targetTitle = await (async () => {
  const p2 = await browser.newPage();
  await p2.goto(new URL(href, pathToFileURL(path.join(site, pageName))).href);
  const t = await p2.locator('main h1').first().textContent();
  await p2.close();
  return (t || '').trim();
})();
check(text.includes(targetTitle), `preview names the target '${targetTitle}' (got '${text.slice(0, 80)}')`);
check(await link.getAttribute('aria-describedby') === 'kbc-preview', 'the link is described by the preview');
await page.keyboard.press('Escape');
check(!(await box.isVisible().catch(() => false)), 'Escape closes the preview');

// Keyboard: focus the same link without a mouse.
await page.mouse.move(0, 0);
await link.focus();
await box.waitFor({ state: 'visible', timeout: 5000 }).catch(() => {});
check(await box.isVisible(), 'keyboard focus shows the preview');
await page.keyboard.press('Escape');
check(!(await box.isVisible().catch(() => false)), 'Escape closes it again');

// Many links: each preview names its own target (the shard a page's data
// is in is computed by C and by JavaScript: they must agree).
if (nLinks) {
  const fs = await import('node:fs');
  const m = /"shards":(\d+)/.exec(fs.readFileSync(path.join(site, 'previews.js'), 'utf8'));
  const shards = m ? Number(m[1]) : 0;
  check(shards > 1, `the site has several preview shards (previews.js says ${shards})`);
  const hrefs = await page.locator('main .content a.internal').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  const seen = new Set();
  let tried = 0;
  for (const h of hrefs) {
    const target = h.split('#')[0];
    if (tried >= nLinks || seen.has(target)) continue;
    seen.add(target);
    tried++;
    const l = page.locator(`main .content a.internal[href="${h}"]`).first();
    await page.mouse.move(0, 0);
    await l.scrollIntoViewIfNeeded();
    await l.hover();
    await box.waitFor({ state: 'visible', timeout: 5000 }).catch(() => {});
    const got = (await box.textContent({ timeout: 1000 }).catch(() => '')) || '';
    const p2 = await browser.newPage();
    await p2.goto(new URL(h, pathToFileURL(path.join(site, pageName))).href);
    const want = ((await p2.locator('main h1').first().textContent()) || '').trim();
    await p2.close();
    check(want && got.startsWith(want), `hovering ${h} previews '${want}' (got '${got.slice(0, 60)}')`);
  }
  check(tried === nLinks, `${nLinks} links to distinct pages were hovered (found ${tried})`);
  const files = new Set(loaded.map((u) => u.slice(u.lastIndexOf('/') + 1)));
  check(files.has('previews.js') && files.size - 1 <= Math.min(tried + 1, shards) && files.size - 1 < shards,
    `only the hovered links' shards were loaded: ${files.size - 1} of ${shards} (${[...files].join(' ')})`);
}

check(problems.length === 0, `no console errors or failed requests: ${problems.join('; ')}`);
await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
