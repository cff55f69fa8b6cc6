/* load.js - getting the index's bytes (docs/search-index.md section 5.4).
 *
 * kbcSearch.load.loader(base) -> load(name) -> Promise<Uint8Array>
 *   base is the URL of the site's search/ folder, ending in "/"; name is
 *   "meta", "t-000", "x-001", ... Each name is loaded once (a failed load is
 *   forgotten so it can be retried). From file: pages, where fetch does not
 *   work, it adds <script src="BASE/NAME.js"> and waits for the script to
 *   call kbcSearchLoaded(name, base64) (a global this file defines); over
 *   http(s) it fetches NAME.bin. Both give the same bytes. A failure rejects
 *   with an Error "search index: cannot load ...".
 * kbcSearch.load.indexBase() -> the search/ URL of the current page's site,
 *   from <meta name="kbc-root" content="../">.
 * kbcSearch.load.base64ToBytes(s) -> Uint8Array (throws on bad base64).
 * Browser only (a classic script); base64ToBytes also works in node. */
(function (root, factory) {
  'use strict';
  if (typeof module === 'object' && module.exports) module.exports = factory(root);
  else (root.kbcSearch = root.kbcSearch || {}).load = factory(root);
})(typeof self !== 'undefined' ? self : this, function (root) {
  'use strict';

  var waiting = new Map();   // name -> {resolve, reject} of a script load under way

  function base64ToBytes(s) {
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  /* Called by each search/NAME.js twin with its file's bytes. */
  root.kbcSearchLoaded = function (name, b64) {
    var w = waiting.get(String(name));
    if (!w) return;
    waiting.delete(String(name));
    try {
      w.resolve(base64ToBytes(String(b64)));
    } catch (e) {
      w.reject(new Error('search index: search/' + name + '.js holds bad base64'));
    }
  };

  function viaScript(base, name) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement('script');
      var done = function (err) {
        s.remove();
        if (waiting.get(name) === w) {
          waiting.delete(name);
          reject(new Error('search index: ' + err + ' search/' + name + '.js'));
        }
      };
      var w = { resolve: resolve, reject: reject };
      waiting.set(name, w);
      s.onload = function () { done('no data in'); };
      s.onerror = function () { done('cannot load'); };
      s.src = base + name + '.js';
      document.head.appendChild(s);
    });
  }

  function viaFetch(base, name) {
    var url = base + name + '.bin';
    return fetch(url).then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      return r.arrayBuffer();
    }).then(function (b) { return new Uint8Array(b); }, function (e) {
      throw new Error('search index: cannot load search/' + name + '.bin (' + e.message + ')');
    });
  }

  function loader(base) {
    var cache = new Map();
    var fromDisk = new URL(base, location.href).protocol === 'file:';
    return function load(name) {
      var p = cache.get(name);
      if (!p) {
        p = fromDisk ? viaScript(base, name) : viaFetch(base, name);
        cache.set(name, p);
        p.catch(function () { cache.delete(name); });
      }
      return p;
    };
  }

  function indexBase() {
    var m = document.querySelector('meta[name="kbc-root"]');
    return new URL((m ? m.getAttribute('content') : '') + 'search/', location.href).href;
  }

  return { loader: loader, indexBase: indexBase, base64ToBytes: base64ToBytes };
});
