// screenshots.mjs - PNG screenshots of a site's main pages, light and dark,
// at 1280 and 390 px wide, for review. Prints the folder it wrote.
//   node tests/browser/screenshots.mjs SITE_DIR OUT_DIR [PAGE...]
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { launch } from './browser.mjs';

const site = path.resolve(process.argv[2]);
const out = path.resolve(process.argv[3]);
const pages = process.argv.slice(4).length ? process.argv.slice(4)
  : ['index.html', 'ledger.html', 'graph.html', 'search.html?q=event+loop'].filter((p) => fs.existsSync(path.join(site, p.split('?')[0])));
fs.mkdirSync(out, { recursive: true });
const browser = await launch();
let n = 0;
for (const scheme of ['light', 'dark']) {
  for (const width of [1280, 390]) {
    const ctx = await browser.newContext({ viewport: { width, height: 900 }, colorScheme: scheme });
    const page = await ctx.newPage();
    for (const p of pages) {
      const [file, query] = p.split('?');
      const url = pathToFileURL(path.join(site, file)).href + (query ? `?${query}` : '');
      await page.goto(url);
      await page.waitForTimeout(300);
      const name = `${file.replace(/[/.]/g, '_')}-${scheme}-${width}.png`;
      await page.screenshot({ path: path.join(out, name), fullPage: false });
      n++;
    }
    await ctx.close();
  }
}
await browser.close();
console.log(`${n} screenshots in ${out}`);
