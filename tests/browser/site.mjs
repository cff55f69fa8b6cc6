// site.mjs - the pages of a built site, for the tests that walk them.
import fs from 'node:fs';
import path from 'node:path';

/** Every .html file under dir (assets/ and search/ left out), sorted. */
export function htmlFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return d.name === 'assets' || d.name === 'search' ? [] : htmlFiles(p);
    return d.name.endsWith('.html') ? [p] : [];
  }).sort();
}
