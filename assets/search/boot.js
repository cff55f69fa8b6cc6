/* boot.js - on every page: wakes the search up when it is first wanted.
 * "/" (outside text fields), Ctrl-K or Cmd-K, or focus or typing in
 * #kbc-search-input opens the search dialog; the search page and any page
 * opened with ?q= start it at once. The first time, it loads search.css and
 * stem, tokenize, index, load, query and ui.js from its own folder, in
 * order (script elements work from file:// too), then calls ui.start()
 * and ui.open(). Keys typed while loading land in #kbc-search-input and
 * are carried into the dialog. */
(function () {
  'use strict';
  var d = document, me = d.currentScript;
  var base = me ? me.src.replace(/[^/]*$/, '') : '';
  var files = ['stem', 'tokenize', 'index', 'load', 'query', 'ui'];
  var state = 0, queue = [], before = null;   // state: 0 idle, 1 loading, 2 ready
  var header = d.getElementById('kbc-search-input');

  function ready(fn) {
    if (state === 2) return fn(self.kbcSearch.ui);
    queue.push(fn);
    if (state === 1) return;
    state = 1;
    var css = d.createElement('link');
    css.rel = 'stylesheet';
    css.href = base + 'search.css';
    d.head.appendChild(css);
    var i = 0;
    (function next() {
      if (i === files.length) {
        state = 2;
        self.kbcSearch.ui.start();
        queue.splice(0).forEach(function (f) { f(self.kbcSearch.ui); });
        return;
      }
      var s = d.createElement('script');
      s.src = base + files[i++] + '.js';
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
    var t = e.target, k = e.key;
    var typing = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
    if (((k === 'k' || k === 'K') && (e.ctrlKey || e.metaKey) && !e.altKey) ||
      (k === '/' && !typing && !e.ctrlKey && !e.metaKey && !e.altKey)) {
      e.preventDefault();
      before = d.activeElement;
      if (header && d.activeElement !== header) header.focus();   // its focus handler opens
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
})();
