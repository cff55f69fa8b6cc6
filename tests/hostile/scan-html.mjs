// scan-html.mjs - find any script in a built site that kbc did not write.
//
// Every .html file under each SITE_DIR is parsed with parse5, the HTML
// parser that follows the WHATWG algorithm browsers use, so markup that
// only turns into an element after the browser's error recovery is found
// too. It fails on:
//   - a <script> that is not kbc's own: kbc writes only external scripts
//     whose src lies under the site's assets/ folder, with no inline body
//     (and therefore needs no hash in its Content-Security-Policy);
//   - any on* event-handler attribute, on any element (SVG included);
//   - a javascript:, vbscript: or data:text/html URL in href, src, action,
//     formaction, xlink:href, poster or data;
//   - <iframe>, <frame>, <object>, <embed>, <base>, <meta http-equiv=refresh>
//     (kbc writes none of them);
//   - a page without exactly one Content-Security-Policy <meta>, first in
//     <head> after the charset.
//   node tests/hostile/scan-html.mjs SITE_DIR...
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'parse5';

const problems = [];
let pages = 0, scripts = 0, elements = 0;
const URL_ATTRS = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'poster', 'data', 'background']);
const FORBIDDEN = new Set(['iframe', 'frame', 'frameset', 'object', 'embed', 'base', 'applet']);

function badUrl(v) {
  // As a browser reads it: control characters and spaces are stripped
  // from the scheme, which is case-insensitive.
  const s = v.replace(/[\u0000-\u0020]/g, '').toLowerCase();
  return s.startsWith('javascript:') || s.startsWith('vbscript:') || s.startsWith('data:text/html');
}

function attrName(a) { return a.prefix ? `${a.prefix}:${a.name}` : a.name; }

function scanPage(site, file) {
  const rel = path.relative(site, file);
  const doc = parse(fs.readFileSync(file, 'utf8'), { sourceCodeLocationInfo: true });
  const where = (n) => `${rel}:${n.sourceCodeLocation ? n.sourceCodeLocation.startLine : '?'}`;
  const assets = path.join(site, 'assets') + path.sep;
  let csp = 0;
  const walk = (n) => {
    if (n.tagName) {
      elements++;
      const tag = n.tagName.toLowerCase();
      for (const a of n.attrs || []) {
        const name = attrName(a).toLowerCase();
        if (name.startsWith('on')) problems.push(`${where(n)}: <${tag} ${name}=...> event handler`);
        if (URL_ATTRS.has(name) && badUrl(a.value)) problems.push(`${where(n)}: <${tag} ${name}="${a.value.slice(0, 60)}">`);
        if (name === 'srcdoc') problems.push(`${where(n)}: <${tag} srcdoc>`);
      }
      if (FORBIDDEN.has(tag)) problems.push(`${where(n)}: <${tag}> that kbc does not write`);
      if (tag === 'meta') {
        const eq = (n.attrs.find((a) => a.name === 'http-equiv') || {}).value || '';
        if (/^refresh$/i.test(eq)) problems.push(`${where(n)}: <meta http-equiv=refresh>`);
        if (/^content-security-policy$/i.test(eq)) {
          csp++;
          const head = n.parentNode && n.parentNode.tagName === 'head';
          const before = head ? n.parentNode.childNodes.filter((c) => c.tagName).indexOf(n) : -1;
          if (!head || before !== 1) problems.push(`${where(n)}: the CSP <meta> is not second in <head> (after the charset)`);
        }
      }
      if (tag === 'script') {
        scripts++;
        const src = (n.attrs.find((a) => a.name === 'src') || {}).value;
        const body = (n.childNodes || []).map((c) => c.value || '').join('');
        if (!src) {
          problems.push(`${where(n)}: inline <script> kbc did not write: ${body.trim().slice(0, 60)}`);
        } else {
          const target = path.resolve(path.dirname(file), decodeURIComponent(src.split(/[?#]/)[0]));
          if (/^[a-z][a-z0-9+.-]*:/i.test(src) || src.startsWith('//') || !target.startsWith(assets) ||
              !fs.existsSync(target)) problems.push(`${where(n)}: <script src="${src}"> is not one of kbc's assets`);
          if (body.trim()) problems.push(`${where(n)}: <script src> with an inline body`);
        }
      }
    }
    // Children on an explicit stack: hostile pages nest thousands deep.
    for (const c of [...(n.childNodes || [])].reverse()) stack.push(c);
    if (n.content) stack.push(n.content);   // <template>
  };
  const stack = [doc];
  while (stack.length) walk(stack.pop());
  if (csp !== 1) problems.push(`${rel}: ${csp} Content-Security-Policy <meta> elements, want 1`);
}

for (const arg of process.argv.slice(2)) {
  const site = path.resolve(arg);
  (function walkDir(dir) {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walkDir(p);
      else if (e.name.endsWith('.html')) { pages++; scanPage(site, p); }
    }
  })(site);
}
for (const p of problems) console.log(`FAIL ${p}`);
console.log(`scanned ${pages} pages, ${elements} elements, ${scripts} scripts`);
console.log(`${pages - new Set(problems.map((p) => p.split(':')[0])).size} passed, ${problems.length} failed`);
process.exitCode = problems.length || !pages ? 1 : 0;
