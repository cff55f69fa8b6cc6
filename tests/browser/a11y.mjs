// a11y.mjs - axe-core (npm) on every page of a built site, opened in
// chromium from file://, in the light and the dark theme: zero violations
// of WCAG 2.x A and AA rules (colour contrast included).
//   node tests/browser/a11y.mjs SITE_DIR [--http]
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { launch, watch, serveDir } from './browser.mjs';
import { htmlFiles } from './site.mjs';

const require = createRequire(import.meta.url);
const axePath = require.resolve('axe-core/axe.min.js');
const site = path.resolve(process.argv[2]);
const http = process.argv.includes('--http') ? await serveDir(site) : null;
const urlOf = (file) => (http ? http.base + path.relative(site, file).split(path.sep).map(encodeURIComponent).join('/')
  : pathToFileURL(file).href);
let passed = 0;
let failed = 0;
let violations = 0;


const browser = await launch();
const files = htmlFiles(site);
for (const scheme of ['light', 'dark']) {
  // bypassCSP: the pages forbid inline script, and axe-core is injected
  // as one; browser-csp checks the policy itself.
  const ctx = await browser.newContext({ colorScheme: scheme, viewport: { width: 1280, height: 900 }, bypassCSP: true });
  const page = await ctx.newPage();
  const problems = watch(page);
  for (const file of files) {
    problems.length = 0;
    await page.goto(urlOf(file));
    await page.addScriptTag({ path: axePath });
    const result = await page.evaluate(async () => {
      // eslint-disable-next-line no-undef
      const r = await axe.run(document, { preload: false, runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
      return r.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
    });
    const rel = path.relative(site, file);
    if (result.length) {
      failed++;
      violations += result.length;
      for (const v of result) console.log(`FAIL ${rel} [${scheme}]: ${v.id}: ${v.help} (${v.nodes.join(', ')})`);
    } else {
      passed++;
    }
    if (problems.length) { failed++; console.log(`FAIL ${rel} [${scheme}]: ${problems.join('; ')}`); }
  }
  await ctx.close();
}
await browser.close();
if (http) await http.close();
console.log(`${http ? 'http' : 'file'}: pages: ${files.length} x 2 themes, axe violations: ${violations}`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
