/* previews.js - link previews: hovering or focusing an internal link shows
 * the target's title, purpose and the start of the linked section. The data
 * is in classic scripts that call kbcPreviews, so it loads from file://
 * without fetch: the site's previews.js gives the shard count, and
 * previews/p-NNN.js the notes whose page path hashes to shard NNN (FNV-1a of
 * its UTF-8 bytes, as src/render.c computes it). Nothing is loaded before
 * the first hover or focus, and then only the shard that link needs.
 * Escape closes the preview. Built with textContent only: nothing from the
 * notes is ever parsed as HTML. */
(function () {
  'use strict';
  var shards = 0;           // from the site's previews.js; 0 until it came
  var data = new Map();     // shard number -> {page path: entry}
  var asked = new Set();    // data files requested (each once)
  var waiting = null;       // link to show once its data arrives
  var box = null;
  var current = null;
  var meta = document.querySelector('meta[name="kbc-root"]');
  var root = new URL(meta ? meta.content || './' : './', location.href);

  window.kbcPreviews = function (d) {
    if (typeof d.shards === 'number') shards = d.shards;
    else if (d.notes) data.set(d.shard, d.notes);
    if (waiting) want(waiting);
  };

  function load(file) {
    if (asked.has(file)) return;
    asked.add(file);
    var s = document.createElement('script');
    s.src = new URL(file, root).href;
    s.onload = s.onerror = function () { s.remove(); };
    document.head.appendChild(s);
  }

  function shardOf(page) {
    var h = 0x811c9dc5, bytes = new TextEncoder().encode(page);
    for (var i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 16777619);
    return (h >>> 0) & (shards - 1);
  }

  // Show a's preview now if its shard is here, else once it has arrived.
  function want(a) {
    waiting = null;
    var u;
    try { u = new URL(a.href); } catch (e) { return; }
    if (!u.href.startsWith(root.href)) return;
    var page = decodeURIComponent(u.pathname.slice(root.pathname.length));
    if (!shards) { waiting = a; load('previews.js'); return; }
    var h = shardOf(page), notes = data.get(h);
    if (!notes) { waiting = a; load('previews/p-' + String(h).padStart(3, '0') + '.js'); return; }
    if (!Object.prototype.hasOwnProperty.call(notes, page)) return;
    var note = notes[page];
    var id = decodeURIComponent(u.hash.slice(1));
    var sec = note.s[id] || note.s[''];
    show(a, [note.t, note.p, id && note.s[id] ? sec[0] : '', sec ? sec[1] : '']);
  }

  // p: [title, purpose, heading, text]
  function show(a, p) {
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
    if (a && a !== current) want(a);
  }

  document.addEventListener('mouseover', open);
  document.addEventListener('focusin', open);
  document.addEventListener('mouseout', function (e) {
    var a = target(e);
    if (!a || a.contains(e.relatedTarget)) return;
    if (a === waiting) waiting = null;
    if (a === current) hide();
  });
  document.addEventListener('focusout', function (e) { if (target(e) === current) hide(); });
  document.addEventListener('keydown', function (e) { if (e.key === 'Escape') hide(); });
})();
