// serve.mjs - kbc serve in chromium, on a copy of a project (the shipped
// knowledge base by default): open a note's page; edit the note and the
// page reloads with the change; break a link and an overlay lists the
// error with its file:line while the last good page is still served; fix
// it and the overlay goes and the page shows the fix. Prints (does not
// assert) the time from saving a note to the change being visible in the
// open page (updated in place by live.js, or reloaded), median of several
// edits. Prints "N passed, N failed".
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
// In every document of the page, watch for the text the test waits for
// (kept in sessionStorage, which outlives a reload) and note when it is
// first shown: after it is in the DOM, once the next frame has been
// drawn. The time is the page's own clock (epoch-based, as node's), so
// the figure is save -> change visible, whether the page reloaded or was
// updated in place, and the test's polling adds nothing to it.
await page.addInitScript(() => {
  const now = () => performance.timeOrigin + performance.now();
  let noted = '';
  const look = () => {
    const want = sessionStorage.getItem('kbc-test-wait');
    const key = 'kbc-test-seen:' + want;
    if (!want || want === noted || sessionStorage.getItem(key) || !document.body) return;
    if (!document.body.textContent.includes(want)) return;
    noted = want;
    requestAnimationFrame(() => setTimeout(() => { if (!sessionStorage.getItem(key)) sessionStorage.setItem(key, String(now())); }, 0));
  };
  new MutationObserver(look).observe(document, { childList: true, subtree: true, characterData: true });
  document.addEventListener('DOMContentLoaded', look);
});
// When the page asked for itself again (a reload, or live.js fetching
// it): splits each edit's time into the server's part (debounce, build,
// event) and the browser's.
let askedAt = 0;
let navigations = 0;
page.on('request', (r) => {
  if (r.url().split('#')[0] !== pageUrl) return;
  askedAt = performance.timeOrigin + performance.now();
  if (r.isNavigationRequest()) navigations++;
});
await page.goto(pageUrl);
check('the page loads with the live script', await page.evaluate(() => !!document.querySelector('script[src="/__kbc/live.js"]')));

// Arms the page to watch for `text` (see the init script); resolves to a
// function that resolves to the epoch time (ms) at which the page first
// showed it, or 0 after `timeout` ms. Arm before saving.
async function expect(text, timeout = 20000) {
  await page.evaluate((t) => sessionStorage.setItem('kbc-test-wait', t), text);
  return async () => {
    const end = Date.now() + timeout;
    while (Date.now() < end) {
      // A reload can destroy the context mid-call: ask again.
      const v = await page.evaluate((t) => sessionStorage.getItem('kbc-test-seen:' + t), text).catch(() => null);
      if (v) return Number(v);
      await new Promise((r) => setTimeout(r, 10));
    }
    return 0;
  };
}

let current = original;   // the note as last saved
const save = (text) => {
  current = text;
  // As editors do: write a temporary file, then rename it over the note.
  const tmpFile = path.join(notesDir, `.${noteName}.swp`);
  fs.writeFileSync(tmpFile, text);
  const t = performance.timeOrigin + performance.now();
  fs.renameSync(tmpFile, notePath);
  return t;
};

// The page's enhancements (copy buttons on code) are still there.
const copies = () => page.evaluate(() => [document.querySelectorAll('main pre > code').length,
  document.querySelectorAll('main pre > button.copy').length]);

// Edits: each save shows the change in the open page.
const times = [];
const serverPart = [];
const before = buildTimes().length;
const navBefore = navigations;
for (let i = 1; i <= 7; i++) {
  const marker = `Serve edit marker ${i} ${Date.now()}`;
  const seen = await expect(marker);
  const t0 = save(`${original}\n\n${marker}\n`);
  const at = await seen();
  check(`edit ${i}: the page shows the change`, at > 0);
  times.push(at - t0);
  serverPart.push(askedAt - t0);
  await page.waitForLoadState('load');
  const [codes, buttons] = await copies();
  check(`edit ${i}: every code block still has its copy button (${buttons} of ${codes})`, codes === buttons);
}
const inPlace = 7 - (navigations - navBefore);
check(`edits to a note's text update the page in place (${inPlace} of 7 did)`, inPlace >= 1);
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
const builds = buildTimes().slice(before).sort((a, b) => a - b);
const buildMedian = builds.length ? builds[Math.floor(builds.length / 2)] : NaN;
console.log(`save -> change visible in the page: median ${median.toFixed(0)} ms over ${times.length} edits ` +
  `(min ${times[0].toFixed(0)}, max ${times[times.length - 1].toFixed(0)}) on ${noteName}; ` +
  `of which the kbc build child: median ${buildMedian} ms over ${builds.length} builds; ` +
  `save -> page asks for itself again: median ${serverPart.sort((a, b) => a - b)[Math.floor(serverPart.length / 2)].toFixed(0)} ms; ` +
  `${inPlace} of 7 updated in place, ${7 - inPlace} reloaded`);

// A new paragraph with a link to a note this one already links to (the
// link carries an id, the target of a backlink on the other page; the
// local graph does not change) is plain content too.
{
  const link = (original.match(/\[\[[^\]|#]+\]\]/) || [])[0];
  check('the note links to another note', !!link);
  if (link) {
    const word = `Linkedit${Date.now()}`;
    const navs = navigations;
    const seen = await expect(word);
    save(`${current}\n${word}, see ${link}.\n`);
    check('a new paragraph with a link: the page shows it', (await seen()) > 0);
    check(`a new paragraph with a link: updated in place (${navigations - navs} navigation(s))`, navigations === navs);
  }
}

// A new heading (an id, a table of contents entry the page's script
// follows) is not plain content: the page reloads, and shows it.
{
  const heading = `Serve heading marker ${Date.now()}`;
  const navs = navigations;
  const seen = await expect(heading);
  save(`${original}\n\n## ${heading}\n\nText under it.\n`);
  check('a new heading: the page shows it', (await seen()) > 0);
  check(`a new heading: the page reloaded (${navigations - navs} navigation(s))`, navigations - navs === 1);
  await page.waitForLoadState('load');
}

// An error: a link to no note. The overlay lists it with file:line; the
// page under it, and the page served, are the last good build.
const goodMarker = `Last good marker ${Date.now()}`;
let loaded = await expect(goodMarker);
save(`${original}\n\n${goodMarker}\n`);
check('the last good version is shown', (await loaded()) > 0);
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
loaded = await expect(fixed);
save(`${original}\n\n${fixed}\n`);
check('after the fix the page shows it', (await loaded()) > 0);
check('after the fix the overlay is gone', (await page.$('#kbc-overlay')) === null);
check('no console errors, page errors or failed requests', problems.length === 0, problems.join('\n'));

await browser.close();
check('kbc serve stops cleanly', (await stop(server)) === 0, server.stderr());
finish();
