// validate.mjs - the Nu HTML Checker (vnu-jar from npm, run with the
// machine's Java) over every HTML page of a built site: zero errors.
//   node tests/browser/validate.mjs SITE_DIR
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { htmlFiles } from './site.mjs';

const require = createRequire(import.meta.url);
const jar = require('vnu-jar');   // the package exports the jar's path
const site = path.resolve(process.argv[2]);
const files = htmlFiles(site);
const r = spawnSync('java', ['-jar', jar, '--errors-only', '--format', 'gnu', ...files], { encoding: 'utf8' });
if (r.error) {
  console.log(`FAIL cannot run java: ${r.error.message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const errors = (r.stderr + r.stdout).split('\n').filter((l) => / error: /.test(l) || /:\d+\.\d+-\d+\.\d+: error/.test(l));
for (const e of errors.slice(0, 30)) console.log(`FAIL ${e.replace(`file:${site}/`, '')}`);
const bad = new Set(errors.map((e) => e.split(':')[1]));
console.log(`pages: ${files.length}, vnu errors: ${errors.length}`);
console.log(`${files.length - bad.size} passed, ${bad.size} failed`);
process.exitCode = errors.length || r.status !== 0 ? 1 : 0;
