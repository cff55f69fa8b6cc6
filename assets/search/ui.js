/* ui.js - the search dialog, the search page and hit marks. boot.js loads
 * it last and calls kbcSearch.ui.start() once, then ui.open(returnTo, text).
 * start(): on search.html runs ?q= into #kbc-search-results and keeps ?q=
 *   in sync (history.replaceState); on another page opened with ?q= wraps
 *   the words through which this page matched in <mark class="kbc-hit">
 *   inside `main .content` and scrolls to the #anchor or the first hit.
 * open(returnTo, text): the modal dialog (role="dialog", aria-modal, focus
 *   kept inside); results follow the typing (live mode), arrows choose,
 *   Enter opens, Escape closes and gives focus back to returnTo.
 * All DOM built from the index or a query uses createElement and
 * textContent: no HTML from notes or queries is ever interpreted. */
(function (K, d) {
  'use strict';
  var tk = K.tokenize, searcherP = null, dlg = null;
  var root = function () { var m = d.querySelector('meta[name="kbc-root"]'); return m ? m.content : ''; };

  function searcher() {
    if (!searcherP) {
      searcherP = K.query.open(K.load.loader(K.load.indexBase()));
      searcherP.catch(function () { searcherP = null; });
    }
    return searcherP;
  }
  function enc(s, path) {   // as src/text.c url_encode
    return Array.from(new TextEncoder().encode(s), function (b) {
      var c = String.fromCharCode(b);
      return /[\w\-.~]/.test(c) || (path && c === '/') ? c : '%' + (b + 256).toString(16).slice(1).toUpperCase();
    }).join('');
  }
  function el(tag, cls, text) {
    var e = d.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  var count = function (n, q) {
    return (n ? n + (n > 1 ? ' results' : ' result') : 'No results') + ' for “' + q.trim() + '”';
  };

  /* [start, end, Set of terms] of the words of text whose terms are in terms, merged. */
  function ranges(text, terms) {
    var out = [];
    tk.tokenize(text, 0).toks.filter(function (t) { return terms.has(t.term); })
      .sort(function (a, b) { return a.start - b.start || b.end - a.end; })
      .forEach(function (t) {
        var l = out[out.length - 1];
        if (!l || t.start >= l[1]) return out.push([t.start, t.end, new Set([t.term])]);
        l[1] = Math.max(l[1], t.end);
        l[2].add(t.term);
      });
    return out;
  }
  /* Append text[from, to) to parent with the ranges in <mark>. */
  function marked(parent, text, rs, from, to, cls) {
    rs.forEach(function (r) {
      if (r[1] <= from || r[0] >= to) return;
      if (r[0] > from) parent.append(text.slice(from, r[0]));
      parent.append(el('mark', cls, text.slice(Math.max(r[0], from), from = Math.min(r[1], to))));
    });
    if (from < to) parent.append(text.slice(from, to));
  }
  /* About 180 characters of the body around the window with most distinct matched terms. */
  function snippet(text, terms) {
    var body = text.slice(text.indexOf('\n') + 1) || text, rs = ranges(body, terms), best = 0, start = 0, end;
    rs.forEach(function (r, i) {
      var seen = new Set();
      for (var j = i; j < rs.length && rs[j][1] <= r[0] + 140; j++) rs[j][2].forEach(seen.add, seen);
      var from = Math.max(0, r[0] - 40), sp = body.indexOf(' ', from);
      if (seen.size > best) { best = seen.size; start = !from ? 0 : sp >= 0 && sp < r[0] ? sp + 1 : r[0]; }
    });
    end = Math.min(body.length, start + 180);
    if (end < body.length && body.lastIndexOf(' ', end) > start + 90) end = body.lastIndexOf(' ', end);
    var p = el('span', 'kbc-result-snippet', start ? '… ' : '');
    marked(p, body, rs, start, end);
    if (end < body.length) p.append(' …');
    return p;
  }

  /* Hits [from, from + n) of q as result links; resolves {s, r, links}. */
  function results(q, live, from, n, prev) {
    return (prev ? Promise.resolve(prev) : searcher().then(function (s) {
      return s.search(q, live).then(function (r) { return { s: s, r: r }; });
    })).then(function (x) {
      var top = x.r.hits.slice(from, from + n);
      return Promise.all(top.map(function (h) { return x.s.text(h.doc); })).then(function (texts) {
        x.links = top.map(function (h, i) {
          var doc = x.s.doc(h.doc), a = el('a', 'kbc-result'), head = el('span', 'kbc-result-head');
          a.href = root() + enc(doc.url, 1) + '?q=' + encodeURIComponent(q) +
            (doc.anchor ? '#' + enc(doc.anchor) : '');
          head.append(el('span', 'kbc-result-title', doc.title));
          if (doc.heading) head.append(el('span', 'kbc-result-heading', doc.heading));
          a.append(head, snippet(texts[i], x.r.matched(h.doc)));
          return a;
        });
        return x;
      });
    });
  }

  /* ---- the dialog ---- */
  function build() {
    var back = el('div', 'kbc-search-backdrop'), box = el('div', 'kbc-search-dialog');
    var title = el('h2', 'kbc-search-title', 'Search the notes'), bar = el('div', 'kbc-search-bar');
    var input = el('input', 'kbc-search-field'), close = el('button', 'kbc-search-close', 'Esc');
    var status = el('p', 'kbc-search-status'), list = el('ul', 'kbc-search-list');
    var foot = el('p', 'kbc-search-foot', '↑ ↓ to choose · Enter to open · Esc to close · ');
    var all = el('a', '', 'All results'), T = 'kbc-search-title';
    var attrs = [[box, { role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': T }], [title, { id: T }],
      [input, { type: 'search', id: 'kbc-search-dialog-input', role: 'combobox', 'aria-labelledby': T,
        'aria-controls': 'kbc-search-list', 'aria-expanded': 'false', 'aria-autocomplete': 'list',
        autocomplete: 'off', spellcheck: 'false' }],
      [close, { type: 'button', 'aria-label': 'Close search' }], [status, { 'aria-live': 'polite' }],
      [list, { id: 'kbc-search-list', role: 'listbox', 'aria-label': 'Results' }]];
    attrs.forEach(function (x) { for (var k in x[1]) x[0].setAttribute(k, x[1][k]); });
    back.hidden = true;
    bar.append(input, close);
    foot.append(all);
    box.append(title, bar, status, list, foot);
    back.append(box);
    d.body.append(back);
    dlg = { back: back, box: box, input: input, list: list, status: status, all: all, sel: -1, items: [], seq: 0 };
    input.addEventListener('input', function () { clearTimeout(dlg.timer); dlg.timer = setTimeout(update, 60); });
    close.addEventListener('click', closeDialog);
    back.addEventListener('mousedown', function (e) { if (e.target === back) closeDialog(); });
    box.addEventListener('keydown', onKey);
    d.addEventListener('focusin', function (e) { if (!back.hidden && !box.contains(e.target)) input.focus(); });
  }

  function onKey(e) {
    var n = dlg.items.length, k = e.key;
    if (k === 'Escape') closeDialog();
    else if ((k === 'ArrowDown' || k === 'ArrowUp') && n) select((dlg.sel + (k === 'ArrowDown' ? 1 : n - 1)) % n);
    else if (k === 'Enter' && e.target === dlg.input) {
      if (dlg.items[dlg.sel] || dlg.input.value.trim()) location.href = (dlg.items[dlg.sel] || dlg.all).href;
    } else if (k === 'Tab') {   // keep focus inside: cycle through the dialog's controls
      var f = [dlg.input, dlg.box.querySelector('button'), dlg.all], i = f.indexOf(d.activeElement);
      f[(i + (e.shiftKey ? f.length - 1 : 1)) % f.length].focus();
    } else return;
    e.preventDefault();
  }

  function select(i) {
    dlg.sel = i;
    dlg.items.forEach(function (a, k) { a.parentNode.setAttribute('aria-selected', String(k === i)); });
    if (i < 0) return dlg.input.removeAttribute('aria-activedescendant');
    dlg.input.setAttribute('aria-activedescendant', dlg.items[i].parentNode.id);
    dlg.items[i].parentNode.scrollIntoView({ block: 'nearest' });
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
      li.append(a);
      dlg.list.append(li);
    });
    dlg.input.setAttribute('aria-expanded', String(links.length > 0));
    select(links.length ? 0 : -1);
    dlg.status.textContent = q.trim() ? count(total, q) : '';
    dlg.list.setAttribute('data-query', q);
  }

  function update() {
    var q = dlg.input.value, my = ++dlg.seq;
    dlg.all.href = root() + 'search.html' + (q.trim() ? '?q=' + encodeURIComponent(q.trim()) : '');
    if (!q.trim()) return show(q, [], 0);
    results(q, true, 0, 10).then(function (x) { if (my === dlg.seq) show(q, x.links, x.r.hits.length); },
      function (err) { if (my === dlg.seq) { show(q, [], 0); dlg.status.textContent = err.message; } });
  }

  function openDialog(returnTo, text) {
    if (!dlg) build();
    if (dlg.back.hidden) dlg.returnTo = returnTo;
    if (text && (dlg.back.hidden || !dlg.input.value)) dlg.input.value = text;
    dlg.back.hidden = false;
    d.documentElement.classList.add('kbc-search-open');
    dlg.input.focus();
    update();
  }

  function closeDialog() {
    if (!dlg || dlg.back.hidden) return;
    var header = d.getElementById('kbc-search-input'), to = dlg.returnTo;
    dlg.back.hidden = true;
    d.documentElement.classList.remove('kbc-search-open');
    if (header) header.value = dlg.input.value;
    if (to === header && to) to.setAttribute('data-kbc-quiet', '');   // boot.js: do not reopen
    if (to && to !== d.body && d.contains(to)) to.focus();
    else if (d.activeElement) d.activeElement.blur();
  }

  /* ---- the search page ---- */
  function page(input, out) {
    var seq = 0, timer, shown, ol;
    function more(x) {
      shown = x;
      x.links.forEach(function (a) { ol.appendChild(el('li')).append(a); });
      var b = out.querySelector('.kbc-search-more');
      if (b) b.remove();
      if (ol.children.length < x.r.hits.length) {
        b = out.appendChild(el('button', 'kbc-search-more', 'Show more results'));
        b.type = 'button';
        b.onclick = function () { results(input.value, false, ol.children.length, 20, shown).then(more); };
      }
    }
    function run(live) {
      var q = input.value, my = ++seq;
      history.replaceState(null, '', q.trim() ? '?q=' + encodeURIComponent(q) : location.pathname.split('/').pop());
      if (!q.trim()) return (out.textContent = '');
      results(q, live, 0, 20).then(function (x) {
        if (my !== seq) return;
        out.textContent = '';
        out.append(el('p', 'kbc-search-count', count(x.r.hits.length, q)), ol = el('ol', 'kbc-search-page-list'));
        more(x);
        out.setAttribute('data-query', q);
      }, function (err) { if (my === seq) out.textContent = err.message; });
    }
    input.value = new URLSearchParams(location.search).get('q') || '';
    input.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(run, 80, true); });
    if (input.form) input.form.addEventListener('submit', function (e) { e.preventDefault(); run(false); });
    if (input.value) run(false);
  }

  /* ---- hits on a note page ---- */
  function highlight(q, content) {
    searcher().then(function (s) {
      return s.search(q, true).then(function (r) {
        var terms = new Set(), nodes = [], w = d.createTreeWalker(content, NodeFilter.SHOW_TEXT);
        var id = location.hash.slice(1);
        r.hits.forEach(function (h) {
          if (new URL(root() + enc(s.doc(h.doc).url, 1), location.href).pathname === location.pathname) {
            r.matched(h.doc).forEach(function (t) { terms.add(t); });
          }
        });
        while (w.nextNode()) if (!w.currentNode.parentNode.closest('script, style')) nodes.push(w.currentNode);
        if (terms.size) nodes.forEach(function (n) {
          var rs = ranges(n.data, terms), f = d.createDocumentFragment();
          if (!rs.length) return;
          marked(f, n.data, rs, 0, n.data.length, 'kbc-hit');
          n.replaceWith(f);
        });
        try { id = decodeURIComponent(id); } catch (e) { /* keep it raw */ }
        var to = (id && d.getElementById(id)) || content.querySelector('mark.kbc-hit');
        if (to) to.scrollIntoView({ block: id ? 'start' : 'center' });
      });
    }).catch(function () { /* marks are a nicety: the page stays as it is */ });
  }

  K.ui = {
    start: function () {
      var input = d.getElementById('kbc-search-page-input'), out = d.getElementById('kbc-search-results');
      var q = new URLSearchParams(location.search).get('q'), content = d.querySelector('main .content');
      if (input && out) page(input, out);
      else if (q && q.trim() && content) highlight(q, content);
    },
    open: openDialog,
    close: closeDialog,
  };
})(self.kbcSearch, document);
