// graph.mjs - the global graph page in chromium from file://: no two note
// labels (nor a label and another note's circle) overlap at the default
// zoom, hovering a note highlights exactly it and its neighbours, the page
// has a list alternative, and there are no console errors.
//   node tests/browser/graph.mjs SITE_DIR
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { launch, watch } from './browser.mjs';

const site = path.resolve(process.argv[2]);
let passed = 0;
let failed = 0;
const check = (ok, msg) => { if (ok) passed++; else { failed++; console.log(`FAIL ${msg}`); } };

const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const problems = watch(page);
await page.goto(pathToFileURL(path.join(site, 'graph.html')).href);

const boxes = await page.evaluate(() => [...document.querySelectorAll('svg.kbc-graph.global g.gn')].map((g) => {
  const t = g.querySelector('text').getBoundingClientRect();
  const c = g.querySelector('circle').getBoundingClientRect();
  return { id: g.getAttribute('data-n'), label: g.querySelector('text').textContent,
    t: [t.left, t.top, t.right, t.bottom], c: [c.left, c.top, c.right, c.bottom] };
}));
const overlap = (a, b) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
let clashes = 0;
for (let i = 0; i < boxes.length; i++) {
  for (let j = 0; j < boxes.length; j++) {
    if (i === j) continue;
    if ((j > i && overlap(boxes[i].t, boxes[j].t)) || overlap(boxes[i].t, boxes[j].c)) {
      clashes++;
      if (clashes <= 5) console.log(`  overlap: '${boxes[i].label}' and '${boxes[j].label}'`);
    }
  }
}
check(boxes.length > 0, 'the graph has nodes');
check(clashes === 0, `no label overlaps another label or circle (${clashes} overlaps among ${boxes.length} labels)`);

// Hover: the node and its neighbours light up, the rest dim.
const first = boxes[0];
await page.locator(`svg.kbc-graph.global g.gn[data-n="${first.id}"] circle`).hover();
const state = await page.evaluate((id) => {
  const svg = document.querySelector('svg.kbc-graph.global');
  const g = svg.querySelector(`g.gn[data-n="${id}"]`);
  const adj = new Set((g.getAttribute('data-adj') || '').split(' ').filter(Boolean));
  const lit = [...svg.querySelectorAll('g.gn.hl')].map((e) => e.getAttribute('data-n'));
  return { focus: svg.classList.contains('focus'), lit, adj: [...adj], self: id };
}, first.id);
const want = new Set([state.self, ...state.adj]);
check(state.focus, 'hovering puts the graph in focus mode');
check(state.lit.length === want.size && state.lit.every((x) => want.has(x)),
  `exactly the node and its ${state.adj.length} neighbours are highlighted (got ${state.lit.length})`);
check(await page.locator('details.graph-as-list li').count() === boxes.length, 'the list alternative names every note');
check(problems.length === 0, `no console errors or failed requests: ${problems.join('; ')}`);
await browser.close();
console.log(`labels: ${boxes.length}, overlaps: ${clashes}`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
