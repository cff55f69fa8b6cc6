// serve.mjs - kbc serve in chromium, on a copy of a project (the shipped
// knowledge base by default): open a note's page; edit the note and the
// page reloads with the change; break a link and an overlay lists the
// error with its file:line while the last good page is still served; fix
// it and the overlay goes and the page shows the fix. Prints (does not
// assert) the time from saving a note to the reloaded page, median of
// several edits. Prints "N passed, N failed".
//   node tests/browser/serve.mjs KBC PROJECT
import fs from 'node:fs';
import path from 'node:path';
import { launch, watch } from './browser.mjs';
import { check, copyProject, finish, get, startServe, stop, tempDir } from '../serve/lib.mjs';

const [kbc, project] = process.argv.slice(2);
const tmp = tempDir('serve-browser');
const proj = path.join(tmp, 'proj');
fs.mkdirSync(proj);
copyProject(project, proj);
const site = path.join(tmp, 'site');
const server = await startServe(kbc, ['-C', proj, '-o', site, '--port', '0']);
// The build's own share of each edit, from "kbc: serve: rebuilt in N ms".
const buildTimes = () => [...server.stderr().matchAll(/rebuilt in (\d+) ms/g)].map((m) => Number(m[1]));

// A note whose page is NAME.html (the first one, in name order).
const notesDir = path.join(proj, 'notes');
const noteName = fs.readdirSync(notesDir).filter((f) => f.endsWith('.md') && f !== 'index.md').sort()
  .find((f) => fs.existsSync(path.join(site, f.replace(/\.md$/, '.html'))));
const notePath = path.join(notesDir, noteName);
const pageUrl = server.url + noteName.replace(/\.md$/, '.html');
const original = fs.readFileSync(notePath, 'utf8');

const browser = await launch();
const page = await browser.newPage();
const problems = watch(page);
// When the page asked for itself again: splits each edit's time into the
// server's part (debounce, build, event) and the browser's (reload).
let navAt = 0;
page.on('request', (r) => { if (r.isNavigationRequest()) navAt = performance.now(); });
await page.goto(pageUrl);
check('the page loads with the live script', await page.evaluate(() => !!document.querySelector('script[src="/__kbc/live.js"]')));

// Resolves when the page has loaded (again) and shows `text`.
async function reloadedWith(text, timeout = 20000) {
  const end = Date.now() + timeout;
  for (;;) {
    const left = end - Date.now();
    if (left <= 0) return false;
    try {
      await page.waitForEvent('load', { timeout: left });
      if ((await page.content()).includes(text)) return true;
    } catch {
      return false;
    }
  }
}

const save = (text) => {
  // As editors do: write a temporary file, then rename it over the note.
  const tmpFile = path.join(notesDir, `.${noteName}.swp`);
  fs.writeFileSync(tmpFile, text);
  fs.renameSync(tmpFile, notePath);
};

// Edits: each save reloads the page with the change.
const times = [];
const serverPart = [];
const nav = [];   // the reload's own timing, from the page's navigation entry
const before = buildTimes().length;
for (let i = 1; i <= 7; i++) {
  const marker = `Serve edit marker ${i} ${Date.now()}`;
  const loaded = reloadedWith(marker);
  const t0 = performance.now();
  save(`${original}\n\n${marker}\n`);
  const ok = await loaded;
  times.push(performance.now() - t0);
  serverPart.push(navAt - t0);
  nav.push(await page.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0];
    return { response: n.responseEnd, dom: n.domContentLoadedEventEnd, load: n.loadEventStart };
  }));
  check(`edit ${i}: the page reloads with the change`, ok);
}
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
const builds = buildTimes().slice(before).sort((a, b) => a - b);
const buildMedian = builds.length ? builds[Math.floor(builds.length / 2)] : NaN;
console.log(`save -> reloaded page: median ${median.toFixed(0)} ms over ${times.length} edits ` +
  `(min ${times[0].toFixed(0)}, max ${times[times.length - 1].toFixed(0)}) on ${noteName}; ` +
  `of which the kbc build child: median ${buildMedian} ms over ${builds.length} builds; ` +
  `save -> page asks for itself again: median ${serverPart.sort((a, b) => a - b)[Math.floor(serverPart.length / 2)].toFixed(0)} ms`);
const med = (k) => nav.map((x) => x[k]).sort((a, b) => a - b)[Math.floor(nav.length / 2)].toFixed(0);
console.log(`the reload itself (median, ms from its start): page received ${med('response')}, DOM ready ${med('dom')}, load event ${med('load')}`);

// An error: a link to no note. The overlay lists it with file:line; the
// page under it, and the page served, are the last good build.
const goodMarker = `Last good marker ${Date.now()}`;
let loaded = reloadedWith(goodMarker);
save(`${original}\n\n${goodMarker}\n`);
check('the last good version is shown', await loaded);
const lines = `${original}\n\n${goodMarker}\n`.split('\n').length;
save(`${original}\n\n${goodMarker}\nSee [[No such note kbc serve test]].\n`);
const overlay = await page.waitForSelector('#kbc-overlay', { timeout: 20000 }).catch(() => null);
check('a failed build shows the overlay', !!overlay);
const overlayText = overlay ? await overlay.textContent() : '';
const where = new RegExp(`notes/${noteName.replace('.', '\\.')}:${lines}:\\d+: error: .*No such note kbc serve test`);
check(`the overlay gives file:line (${overlayText.slice(0, 160)})`, where.test(overlayText));
check('the page under the overlay is the last good one', (await page.content()).includes(goodMarker));
const served = await get(server.url, '/' + noteName.replace(/\.md$/, '.html'));
check('the server still serves the last good page', served.status === 200 && served.body.toString().includes(goodMarker) &&
  !served.body.toString().includes('No such note kbc serve test'));
// A page opened while the build is broken shows the overlay too.
const page2 = await browser.newPage();
await page2.goto(server.url);
check('a page opened during the failure shows the overlay', !!(await page2.waitForSelector('#kbc-overlay', { timeout: 10000 }).catch(() => null)));
await page2.close();

// Fix it: the overlay goes and the page shows the fixed note.
const fixed = `Fixed marker ${Date.now()}`;
loaded = reloadedWith(fixed);
save(`${original}\n\n${fixed}\n`);
check('after the fix the page reloads with it', await loaded);
check('after the fix the overlay is gone', (await page.$('#kbc-overlay')) === null);
check('no console errors, page errors or failed requests', problems.length === 0, problems.join('\n'));

await browser.close();
check('kbc serve stops cleanly', (await stop(server)) === 0, server.stderr());
finish();
