// page-weight.mjs - the CSS and JavaScript each page of a built site loads
// with the page (stylesheets and scripts it references), summed per page:
// every page must stay under the budget (default 60 KB uncompressed). Also
// reports what opening the search box adds (loaded on first use only).
//   node tests/kb/page-weight.mjs SITE_DIR [BUDGET_BYTES]
import fs from 'node:fs';
import path from 'node:path';
import { htmlFiles } from '../browser/site.mjs';

const site = path.resolve(process.argv[2]);
const budget = Number(process.argv[3] || 60 * 1024);
let passed = 0, failed = 0, worst = 0, worstPage = '';
for (const file of htmlFiles(site)) {
  const html = fs.readFileSync(file, 'utf8');
  const refs = [...html.matchAll(/<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"/g), ...html.matchAll(/<script[^>]+src="([^"]+)"/g)]
    .map((m) => m[1]).filter((u) => !/^[a-z]+:/.test(u));
  let bytes = 0;
  for (const r of new Set(refs)) bytes += fs.statSync(path.resolve(path.dirname(file), r.split(/[?#]/)[0])).size;
  const rel = path.relative(site, file);
  if (bytes > worst) { worst = bytes; worstPage = rel; }
  if (bytes <= budget) passed++;
  else { failed++; console.log(`FAIL ${rel}: ${bytes} bytes of CSS and JS (budget ${budget})`); }
}
const lazy = ['stem.js', 'tokenize.js', 'index.js', 'load.js', 'query.js', 'ui.js', 'search.css']
  .reduce((s, f) => s + (fs.existsSync(path.join(site, 'assets/search', f)) ? fs.statSync(path.join(site, 'assets/search', f)).size : 0), 0);
console.log(`heaviest page: ${worstPage}, ${worst} bytes of CSS+JS at load (budget ${budget}); opening search adds ${lazy} bytes`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
