// layout.mjs - the reader's layout in chromium: the theme toggle switches
// the theme and the choice persists to the next page; at 390 px wide no page
// scrolls sideways and the sidebar becomes a menu; the TOC marks the section
// in view. From file:// and, with --http, over HTTP.
//   node tests/browser/layout.mjs SITE_DIR [--http]
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { launch, watch, serveDir } from './browser.mjs';

const site = path.resolve(process.argv[2]);
const http = process.argv.includes('--http') ? await serveDir(site) : null;
const urlOf = (rel) => (http ? http.base + rel : pathToFileURL(path.join(site, rel)).href);
let passed = 0, failed = 0;
const check = (ok, msg) => { if (ok) passed++; else { failed++; console.log(`FAIL ${msg}`); } };
const notes = fs.readdirSync(site).filter((f) => f.endsWith('.html') && !['404.html', 'search.html'].includes(f)).sort();
const notePage = notes.find((f) => f !== 'index.html' && /^\d|[a-z]/.test(f) && !['graph.html', 'ledger.html', 'tags.html'].includes(f));

const browser = await launch();
// Theme: toggle, then the next page keeps it.
{
  const ctx = await browser.newContext({ colorScheme: 'light', viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  const problems = watch(page);
  await page.goto(urlOf(notePage));
  check(await page.locator('.theme-toggle').isVisible(), 'the theme toggle is shown when script runs');
  await page.locator('.theme-toggle').click();
  check(await page.evaluate(() => document.documentElement.getAttribute('data-theme')) === 'dark', 'the toggle switches to dark');
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await page.locator('.sidebar a').first().click();
  await page.waitForLoadState('load');
  check(await page.evaluate(() => document.documentElement.getAttribute('data-theme')) === 'dark', 'the next page is dark too');
  check(await page.evaluate(() => getComputedStyle(document.body).backgroundColor) === bg, 'and painted with the dark background');
  await page.locator('.theme-toggle').click();
  check(await page.evaluate(() => document.documentElement.getAttribute('data-theme')) === 'light', 'the toggle switches back');
  check(problems.length === 0, `no console errors: ${problems.join('; ')}`);
  // The TOC follows the scroll.
  await page.goto(urlOf(notePage));
  const ids = await page.evaluate(() => [...document.querySelectorAll('.toc a')].map((a) => a.getAttribute('href')));
  if (ids.length > 2) {
    const target = ids[2];
    await page.evaluate((h) => document.getElementById(decodeURIComponent(h.slice(1))).scrollIntoView(), target);
    await page.waitForTimeout(300);
    const active = await page.evaluate(() => document.querySelector('.toc a.active')?.getAttribute('href'));
    check(active === target, `the TOC marks the section in view (${target}, got ${active})`);
  }
  await ctx.close();
}
// Narrow screens: no sideways scroll, the sidebar is a menu.
{
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await ctx.newPage();
  for (const f of notes) {
    await page.goto(urlOf(f));
    const wide = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    check(wide <= 0, `${f} at 390 px scrolls sideways by ${wide}px`);
  }
  await page.goto(urlOf(notePage));
  check(!(await page.locator('.sidebar .reading-order').isVisible()), 'at 390 px the reading order is folded away');
  await page.locator('.menu-toggle').click();
  check(await page.locator('.sidebar .reading-order').isVisible(), 'the Menu button shows it');
  check(await page.locator('.menu-toggle').getAttribute('aria-expanded') === 'true', 'and says it is expanded');
  await ctx.close();
}
await browser.close();
if (http) await http.close();
console.log(`${http ? 'http' : 'file'}: ${notes.length} pages at 390 px`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
