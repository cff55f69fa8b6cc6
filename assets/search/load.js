/* load.js - the index's bytes (docs/search-index.md section 5.4).
 * loader(base)(name) -> Promise<Uint8Array>: base is the site's search/
 *   URL, name "meta", "t-000", ... Each name loads once (a failure is
 *   forgotten, so it can be retried). From file: pages (no fetch there) it
 *   adds <script src="NAME.js"> and waits for its kbcSearchLoaded(name,
 *   base64) call (the global defined here); over http(s) it fetches
 *   NAME.bin. Failure: Error("search index: cannot load ...").
 * indexBase() -> the search/ URL from <meta name="kbc-root" content="../">. */
(function (root, f) {
  if (typeof module === 'object') module.exports = f(global);
  else (root.kbcSearch = root.kbcSearch || {}).load = f(root);
})(typeof self !== 'undefined' ? self : this, function (root) {
  'use strict';
  var waiting = new Map();   // name -> resolve/reject of its script

  root.kbcSearchLoaded = function (name, b64) {
    var w = waiting.get(name);
    waiting.delete(name);
    try {
      if (w) w.ok(Uint8Array.from(atob(b64), function (c) { return c.charCodeAt(0); }));
    } catch (e) {
      w.no('bad base64 in');
    }
  };

  function script(base, name) {
    return new Promise(function (ok, no) {
      var s = document.createElement('script'), w = { ok: ok, no: function (why) {
        no(new Error('search index: ' + why + ' search/' + name + '.js'));
      } };
      var end = function (why) { s.remove(); if (waiting.get(name) === w) { waiting.delete(name); w.no(why); } };
      waiting.set(name, w);
      s.onload = function () { end('no data in'); };
      s.onerror = function () { end('cannot load'); };
      s.src = base + name + '.js';
      document.head.append(s);
    });
  }

  function bin(base, name) {
    return fetch(base + name + '.bin').then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.arrayBuffer();
    }).then(function (b) { return new Uint8Array(b); }, function (e) {
      throw new Error('search index: cannot load search/' + name + '.bin (' + e.message + ')');
    });
  }

  return {
    loader: function (base) {
      var cache = new Map(), get = new URL(base, location.href).protocol === 'file:' ? script : bin;
      return function (name) {
        if (!cache.has(name)) {
          cache.set(name, get(base, name).catch(function (e) { cache.delete(name); throw e; }));
        }
        return cache.get(name);
      };
    },
    indexBase: function () {
      var m = document.querySelector('meta[name="kbc-root"]');
      return new URL((m ? m.content : '') + 'search/', location.href).href;
    },
  };
});
