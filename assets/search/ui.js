/* ui.js - the search dialog, the search page and hit highlighting.
 *
 * Loaded by boot.js after stem, tokenize, index, load and query; it then
 * calls kbcSearch.ui.start() once, and ui.open(returnTo, text) when asked.
 *   start()  on search.html (#kbc-search-page-input, #kbc-search-results):
 *            runs ?q= and keeps the URL in sync (history.replaceState); on
 *            any other page opened with ?q=: marks the words through which
 *            this page matched with <mark class="kbc-hit"> inside
 *            `main .content` and scrolls the #anchor or the first hit into view.
 *   open(returnTo, text)  shows the modal dialog (role="dialog",
 *            aria-modal, focus kept inside) with `text` as the query;
 *            results follow the typing (live mode), arrows move, Enter
 *            opens, Escape closes and gives focus back to `returnTo`.
 * Every piece of DOM built from the index or the query is made with
 * createElement and textContent: no HTML from notes or queries is ever
 * interpreted. Errors (a bad index) are shown in the status line. */
(function (K) {
  'use strict';
  var d = document;
  var tk = K.tokenize;
  var DIALOG_RESULTS = 10, PAGE_STEP = 20, SNIPPET = 180;
  var searcherP = null;

  /* The site root as the page links it ("", "../", or absolute on 404). */
  function rootHref() {
    var m = d.querySelector('meta[name="kbc-root"]');
    return m ? m.getAttribute('content') || '' : '';
  }

  function searcher() {
    if (!searcherP) {
      searcherP = K.query.open(K.load.loader(K.load.indexBase()));
      searcherP.catch(function () { searcherP = null; });
    }
    return searcherP;
  }

  /* Percent-encoding as kbc writes links (src/text.c url_encode). */
  function enc(s, path) {
    var b = new TextEncoder().encode(s), out = '';
    for (var i = 0; i < b.length; i++) {
      var c = String.fromCharCode(b[i]);
      out += /[A-Za-z0-9\-_.~]/.test(c) || (path && c === '/') ? c : '%' + (b[i] < 16 ? '0' : '') + b[i].toString(16).toUpperCase();
    }
    return out;
  }

  function hitHref(doc, q) {
    return rootHref() + enc(doc.url, true) + '?q=' + encodeURIComponent(q) + (doc.anchor ? '#' + enc(doc.anchor, false) : '');
  }

  function el(tag, cls, text) {
    var e = d.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  /* Spans [start, end) of the words of `text` whose terms are in `terms`,
   * sorted and merged. */
  function hitRanges(text, terms) {
    var r = [];
    tk.tokenize(text, 0).toks.forEach(function (t) {
      if (t.term !== null && terms.has(t.term)) r.push([t.start, t.end, t.term]);
    });
    r.sort(function (a, b) { return a[0] - b[0] || b[1] - a[1]; });
    var out = [];
    r.forEach(function (x) {
      var last = out[out.length - 1];
      if (last && x[0] < last[1]) { last[1] = Math.max(last[1], x[1]); last[3].add(x[2]); }
      else out.push([x[0], x[1], null, new Set([x[2]])]);
    });
    return out;
  }

  /* Append `text` to `parent` with the given ranges wrapped in <mark>. */
  function appendMarked(parent, text, ranges, from, to, cls) {
    var at = from;
    ranges.forEach(function (r) {
      if (r[1] <= from || r[0] >= to) return;
      var a = Math.max(r[0], from), b = Math.min(r[1], to);
      if (a > at) parent.appendChild(d.createTextNode(text.slice(at, a)));
      parent.appendChild(el('mark', cls, text.slice(a, b)));
      at = b;
    });
    if (at < to) parent.appendChild(d.createTextNode(text.slice(at, to)));
  }

  /* A snippet of the section's text around the window of SNIPPET characters
   * holding the most distinct matched terms (the earliest such window). */
  function snippet(text, terms) {
    var nl = text.indexOf('\n');
    var body = text.slice(nl + 1) || text.slice(0, Math.max(nl, 0));
    var ranges = hitRanges(body, terms), best = -1, bestCount = 0, start = 0;
    for (var i = 0; i < ranges.length; i++) {
      var seen = new Set();
      for (var j = i; j < ranges.length && ranges[j][1] <= ranges[i][0] + SNIPPET; j++) {
        ranges[j][3].forEach(function (t) { seen.add(t); });
      }
      if (seen.size > bestCount) { best = i; bestCount = seen.size; }
    }
    if (best >= 0) {
      start = Math.max(0, ranges[best][0] - 40);
      if (start > 0) { var sp = body.indexOf(' ', start); start = sp >= 0 && sp < ranges[best][0] ? sp + 1 : ranges[best][0]; }
    }
    var end = Math.min(body.length, start + SNIPPET);
    if (end < body.length) { var e = body.lastIndexOf(' ', end); if (e > start + SNIPPET / 2) end = e; }
    var p = el('span', 'kbc-result-snippet');
    if (start > 0) p.appendChild(d.createTextNode('… '));
    appendMarked(p, body, ranges, start, end, null);
    if (end < body.length) p.appendChild(d.createTextNode(' …'));
    return p;
  }

  /* The DOM of one result: a link with title, heading and snippet. */
  function resultLink(s, hit, q, text, terms) {
    var doc = s.doc(hit.doc);
    var a = el('a', 'kbc-result');
    a.href = hitHref(doc, q);
    var head = el('span', 'kbc-result-head');
    head.appendChild(el('span', 'kbc-result-title', doc.title));
    if (doc.heading) head.appendChild(el('span', 'kbc-result-heading', doc.heading));
    a.appendChild(head);
    a.appendChild(snippet(text, terms));
    return a;
  }

  /* Run q and build result links for hits[from, from + n). Resolves to
   * { hits, links } or rejects with the index's error. */
  function results(q, live, from, n, prev) {
    return (prev ? Promise.resolve(prev) : searcher().then(function (s) {
      return s.search(q, live).then(function (r) { return { s: s, r: r }; });
    })).then(function (x) {
      var top = x.r.hits.slice(from, from + n);
      return Promise.all(top.map(function (h) { return x.s.text(h.doc); })).then(function (texts) {
        x.links = top.map(function (h, i) { return resultLink(x.s, h, q, texts[i], x.r.matched(h.doc)); });
        return x;
      });
    });
  }

  function countText(n, q) {
    return n ? n + (n === 1 ? ' result' : ' results') + ' for “' + q + '”' : 'No results for “' + q + '”';
  }

  /* ---- the dialog ---- */
  var dlg = null;     // { back, box, input, list, status, all, sel, items, returnTo, seq }

  function build() {
    var back = el('div', 'kbc-search-backdrop');
    back.hidden = true;
    var box = el('div', 'kbc-search-dialog');
    box.setAttribute('role', 'dialog');
    box.setAttribute('aria-modal', 'true');
    box.setAttribute('aria-labelledby', 'kbc-search-title');
    var title = el('h2', 'kbc-search-title', 'Search the notes');
    title.id = 'kbc-search-title';
    var bar = el('div', 'kbc-search-bar');
    var input = el('input', 'kbc-search-field');
    input.type = 'search';
    input.id = 'kbc-search-dialog-input';
    input.setAttribute('aria-labelledby', 'kbc-search-title');
    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-controls', 'kbc-search-list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-autocomplete', 'list');
    input.autocomplete = 'off';
    input.spellcheck = false;
    var close = el('button', 'kbc-search-close', 'Esc');
    close.type = 'button';
    close.setAttribute('aria-label', 'Close search');
    bar.appendChild(input);
    bar.appendChild(close);
    var status = el('p', 'kbc-search-status');
    status.setAttribute('aria-live', 'polite');
    var list = el('ul', 'kbc-search-list');
    list.id = 'kbc-search-list';
    list.setAttribute('role', 'listbox');
    list.setAttribute('aria-label', 'Results');
    var foot = el('p', 'kbc-search-foot', '↑ ↓ to choose · Enter to open · Esc to close · ');
    var all = el('a', null, 'All results');
    all.href = rootHref() + 'search.html';
    foot.appendChild(all);
    [title, bar, status, list, foot].forEach(function (x) { box.appendChild(x); });
    back.appendChild(box);
    d.body.appendChild(back);
    dlg = { back: back, box: box, input: input, list: list, status: status, all: all, sel: -1, items: [], seq: 0, timer: 0 };

    input.addEventListener('input', function () {
      clearTimeout(dlg.timer);
      dlg.timer = setTimeout(update, 60);
    });
    close.addEventListener('click', closeDialog);
    back.addEventListener('mousedown', function (e) { if (e.target === back) closeDialog(); });
    box.addEventListener('keydown', onKey);
    d.addEventListener('focusin', function (e) {
      if (!back.hidden && !box.contains(e.target)) input.focus();
    });
  }

  function onKey(e) {
    if (e.key === 'Escape') {
      e.preventDefault();
      closeDialog();
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      var n = dlg.items.length;
      if (n) select((dlg.sel + (e.key === 'ArrowDown' ? 1 : n - 1)) % n);
    } else if (e.key === 'Enter' && e.target === dlg.input) {
      e.preventDefault();
      var a = dlg.items[dlg.sel];
      if (a) location.href = a.href;
      else if (dlg.input.value.trim()) location.href = dlg.all.href;
    } else if (e.key === 'Tab') {
      // Keep focus inside: cycle through the dialog's focusable elements.
      var f = [].slice.call(dlg.box.querySelectorAll('input, button, a[href]:not([tabindex="-1"])'));
      var i = f.indexOf(d.activeElement);
      e.preventDefault();
      f[(i + (e.shiftKey ? f.length - 1 : 1)) % f.length].focus();
    }
  }

  function select(i) {
    dlg.items.forEach(function (a, k) { a.parentNode.setAttribute('aria-selected', k === i ? 'true' : 'false'); });
    dlg.sel = i;
    var li = dlg.items[i] && dlg.items[i].parentNode;
    if (li) {
      dlg.input.setAttribute('aria-activedescendant', li.id);
      li.scrollIntoView({ block: 'nearest' });
    } else {
      dlg.input.removeAttribute('aria-activedescendant');
    }
  }

  function show(q, links, total) {
    dlg.list.textContent = '';
    dlg.items = links;
    links.forEach(function (a, i) {
      var li = el('li', 'kbc-search-item');
      li.id = 'kbc-search-opt-' + i;
      li.setAttribute('role', 'option');
      a.tabIndex = -1;
      a.addEventListener('mousemove', function () { if (dlg.sel !== i) select(i); });
      li.appendChild(a);
      dlg.list.appendChild(li);
    });
    dlg.input.setAttribute('aria-expanded', links.length ? 'true' : 'false');
    select(links.length ? 0 : -1);
    dlg.status.textContent = q.trim() ? countText(total, q.trim()) : '';
    dlg.list.setAttribute('data-query', q);
  }

  function update() {
    var q = dlg.input.value, my = ++dlg.seq;
    dlg.all.href = rootHref() + 'search.html' + (q.trim() ? '?q=' + encodeURIComponent(q.trim()) : '');
    if (!q.trim()) { show(q, [], 0); return; }
    results(q, true, 0, DIALOG_RESULTS).then(function (x) {
      if (my === dlg.seq) show(q, x.links, x.r.hits.length);
    }, function (err) {
      if (my === dlg.seq) { show(q, [], 0); dlg.status.textContent = err.message; }
    });
  }

  function openDialog(returnTo, text) {
    if (!dlg) build();
    var wasOpen = !dlg.back.hidden;
    if (!wasOpen) dlg.returnTo = returnTo || null;
    dlg.back.hidden = false;
    d.documentElement.classList.add('kbc-search-open');
    if (text != null && text !== '' && (!wasOpen || !dlg.input.value)) dlg.input.value = text;
    dlg.input.focus();
    update();
  }

  function closeDialog() {
    if (!dlg || dlg.back.hidden) return;
    dlg.back.hidden = true;
    d.documentElement.classList.remove('kbc-search-open');
    var header = d.getElementById('kbc-search-input'), to = dlg.returnTo;
    if (header) header.value = dlg.input.value;
    if (to && to !== d.body && d.contains(to)) {
      if (to === header) header.setAttribute('data-kbc-quiet', '');   // boot.js: do not reopen
      to.focus();
    } else if (d.activeElement) {
      d.activeElement.blur();
    }
  }

  /* ---- the search page ---- */
  function page(input, out) {
    var q = new URLSearchParams(location.search).get('q') || '';
    var seq = 0, timer = 0, shown = null;
    input.value = q;
    function run(live) {
      var text = input.value, my = ++seq;
      history.replaceState(null, '', text.trim() ? '?q=' + encodeURIComponent(text) : location.pathname.replace(/.*\//, ''));
      if (!text.trim()) { out.textContent = ''; return; }
      results(text, live, 0, PAGE_STEP).then(function (x) {
        if (my !== seq) return;
        shown = x;
        out.textContent = '';
        out.appendChild(el('p', 'kbc-search-count', countText(x.r.hits.length, text.trim())));
        var ol = el('ol', 'kbc-search-page-list');
        out.appendChild(ol);
        more(ol, x.links);
        out.setAttribute('data-query', text);
      }, function (err) {
        if (my === seq) { out.textContent = ''; out.appendChild(el('p', 'kbc-search-error', err.message)); }
      });
    }
    function more(ol, links) {
      links.forEach(function (a) { var li = el('li'); li.appendChild(a); ol.appendChild(li); });
      var old = out.querySelector('.kbc-search-more');
      if (old) old.remove();
      if (ol.children.length < shown.r.hits.length) {
        var b = el('button', 'kbc-search-more', 'Show more results');
        b.type = 'button';
        b.addEventListener('click', function () {
          results(input.value, false, ol.children.length, PAGE_STEP, shown).then(function (x) { more(ol, x.links); });
        });
        out.appendChild(b);
      }
    }
    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () { run(true); }, 80);
    });
    if (input.form) input.form.addEventListener('submit', function (e) { e.preventDefault(); run(false); });
    if (q) run(false);
  }

  /* ---- hits on a note page ---- */
  function highlight(q) {
    var content = d.querySelector('main .content');
    if (!content) return;
    searcher().then(function (s) {
      return s.search(q, true).then(function (r) {
        var here = location.pathname, terms = new Set();
        r.hits.forEach(function (h) {
          var u = new URL(rootHref() + enc(s.doc(h.doc).url, true), location.href);
          if (u.pathname === here) r.matched(h.doc).forEach(function (t) { terms.add(t); });
        });
        if (!terms.size) return;
        var walker = d.createTreeWalker(content, NodeFilter.SHOW_TEXT, {
          acceptNode: function (n) {
            return n.parentNode.closest('script, style, mark.kbc-hit') ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
          },
        });
        var nodes = [];
        while (walker.nextNode()) nodes.push(walker.currentNode);
        nodes.forEach(function (n) {
          var ranges = hitRanges(n.data, terms);
          if (!ranges.length) return;
          var frag = d.createDocumentFragment();
          appendMarked(frag, n.data, ranges, 0, n.data.length, 'kbc-hit');
          n.parentNode.replaceChild(frag, n);
        });
        var id = location.hash.slice(1);
        try { id = decodeURIComponent(id); } catch (e) { /* keep it raw */ }
        var target = (id && d.getElementById(id)) || content.querySelector('mark.kbc-hit');
        if (target) target.scrollIntoView({ block: id ? 'start' : 'center' });
      });
    }).catch(function () { /* highlighting is a nicety: the page stays as it is */ });
  }

  K.ui = {
    start: function () {
      var input = d.getElementById('kbc-search-page-input'), out = d.getElementById('kbc-search-results');
      var q = new URLSearchParams(location.search).get('q');
      if (input && out) page(input, out);
      else if (q && q.trim()) highlight(q);
    },
    open: openDialog,
    close: closeDialog,
    snippet: snippet,
  };
})(self.kbcSearch);
