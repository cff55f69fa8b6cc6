/* boot.js - on every page; wakes the search when it is first wanted.
 * "/" (outside text fields), Ctrl-K, Cmd-K, or focus or typing in
 * #kbc-search-input open the search dialog; search.html and pages opened
 * with ?q= start at once. The first time it loads search.css, then stem,
 * tokenize, index, load, query and ui.js from its own folder in order
 * (script elements work from file:// too), calls ui.start(), then ui.open().
 * Keys typed while loading land in #kbc-search-input and carry over. */
(function (d) {
  'use strict';
  var base = d.currentScript ? d.currentScript.src.replace(/[^/]*$/, '') : '';
  var header = d.getElementById('kbc-search-input'), state = 0, queue = [], before = null;

  function ready(fn) {   // state: 0 idle, 1 loading, 2 ready
    if (state === 2) return fn(self.kbcSearch.ui);
    queue.push(fn);
    if (state) return;
    state = 1;
    var css = d.head.appendChild(d.createElement('link')), files = ['stem', 'tokenize', 'index', 'load', 'query', 'ui'];
    css.rel = 'stylesheet';
    css.href = base + 'search.css';
    (function next() {
      if (!files.length) {
        state = 2;
        self.kbcSearch.ui.start();
        return queue.splice(0).forEach(function (f) { f(self.kbcSearch.ui); });
      }
      var s = d.createElement('script');
      s.src = base + files.shift() + '.js';
      s.onload = next;
      s.onerror = function () { state = 0; queue = []; };
      d.head.appendChild(s);
    })();
  }

  function open() {
    var from = before || d.activeElement;
    before = null;
    ready(function (ui) { ui.open(from, header ? header.value : ''); });
  }

  d.addEventListener('keydown', function (e) {
    var t = e.target, k = e.key, typing = t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName);
    if ((k === 'k' || k === 'K') && (e.ctrlKey || e.metaKey) && !e.altKey ||
      k === '/' && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      before = d.activeElement;
      if (header && before !== header) header.focus();   // its focus handler opens
      else open();
    }
  });
  if (header) {
    header.addEventListener('focus', function () {
      if (header.hasAttribute('data-kbc-quiet')) header.removeAttribute('data-kbc-quiet');
      else open();
    });
    header.addEventListener('input', open);
  }
  if (/[?&]q=/.test(location.search) || d.getElementById('kbc-search-page-input')) ready(function () {});
})(document);
