/* previews.js - link previews: hovering or focusing an internal link shows
 * the target's title, purpose and the start of the linked section. The data
 * is the site's previews.js (a classic script calling kbcPreviews), loaded
 * on the first hover or focus, so it works from file:// without fetch.
 * Escape closes the preview. Built with textContent only: nothing from the
 * notes is ever parsed as HTML. */
(function () {
  'use strict';
  var data = null;
  var loading = false;
  var waiting = null;       // link to show once the data arrives
  var box = null;
  var current = null;
  var meta = document.querySelector('meta[name="kbc-root"]');
  var root = new URL(meta ? meta.content || './' : './', location.href);

  window.kbcPreviews = function (d) {
    data = d;
    if (waiting) show(waiting);
  };

  function load() {
    if (loading) return;
    loading = true;
    var s = document.createElement('script');
    s.src = new URL('previews.js', root).href;
    document.head.appendChild(s);
  }

  // The preview for a link: [title, purpose, heading, text] or null.
  function lookup(a) {
    var u;
    try { u = new URL(a.href); } catch (e) { return null; }
    if (!u.href.startsWith(root.href)) return null;
    var page = decodeURIComponent(u.pathname.slice(root.pathname.length));
    var note = data && data[page];
    if (!note) return null;
    var id = decodeURIComponent(u.hash.slice(1));
    var sec = note.s[id] || note.s[''];
    return [note.t, note.p, id && note.s[id] ? sec[0] : '', sec ? sec[1] : ''];
  }

  function show(a) {
    waiting = null;
    var p = lookup(a);
    if (!p) return;
    hide();
    box = document.createElement('div');
    box.className = 'kbc-preview';
    box.id = 'kbc-preview';
    box.setAttribute('role', 'tooltip');
    var h = document.createElement('strong');
    h.textContent = p[0] + (p[2] ? ' \u203a ' + p[2] : '');
    box.appendChild(h);
    if (p[1]) {
      var pu = document.createElement('p');
      pu.className = 'kbc-preview-purpose';
      pu.textContent = p[1];
      box.appendChild(pu);
    }
    if (p[3]) {
      var t = document.createElement('p');
      t.textContent = p[3];
      box.appendChild(t);
    }
    document.body.appendChild(box);
    var r = a.getBoundingClientRect();
    var top = r.bottom + window.scrollY + 6;
    var left = Math.max(8, Math.min(r.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - box.offsetWidth - 8));
    if (r.bottom + box.offsetHeight + 12 > window.innerHeight && r.top > box.offsetHeight + 12)
      top = r.top + window.scrollY - box.offsetHeight - 6;
    box.style.top = top + 'px';
    box.style.left = left + 'px';
    a.setAttribute('aria-describedby', 'kbc-preview');
    current = a;
  }

  function hide() {
    if (box) box.remove();
    if (current) current.removeAttribute('aria-describedby');
    box = null;
    current = null;
  }

  function target(e) {
    var a = e.target.closest ? e.target.closest('a.internal, .reading-order a, .card a, .backlinks a') : null;
    return a && a.href ? a : null;
  }

  function open(e) {
    var a = target(e);
    if (!a || a === current) return;
    if (!data) { waiting = a; load(); return; }
    show(a);
  }

  document.addEventListener('mouseover', open);
  document.addEventListener('focusin', open);
  document.addEventListener('mouseout', function (e) {
    var a = target(e);
    if (a && a === current && !a.contains(e.relatedTarget)) hide();
  });
  document.addEventListener('focusout', function (e) { if (target(e) === current) hide(); });
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape') hide(); });
})();
