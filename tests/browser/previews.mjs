// previews.mjs - link previews in chromium from file://: hovering an
// internal link shows the target's title and section start; keyboard focus
// shows it too; Escape closes it; no console errors.
//   node tests/browser/previews.mjs SITE_DIR PAGE
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { launch, watch } from './browser.mjs';

const site = path.resolve(process.argv[2]);
const pageName = process.argv[3] || 'alpha.html';
let passed = 0;
let failed = 0;
const check = (ok, msg) => { if (ok) passed++; else { failed++; console.log(`FAIL ${msg}`); } };

const browser = await launch();
const page = await browser.newPage();
const problems = watch(page);
await page.goto(pathToFileURL(path.join(site, pageName)).href);

const link = page.locator('main .content a.internal').first();
const href = await link.getAttribute('href');
await link.hover();
const box = page.locator('.kbc-preview');
await box.waitFor({ state: 'visible', timeout: 5000 }).catch(() => {});
check(await box.isVisible(), `hovering ${href} shows a preview`);
const text = (await box.textContent()) || '';
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

check(problems.length === 0, `no console errors or failed requests: ${problems.join('; ')}`);
await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
