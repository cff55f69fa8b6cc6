/* load.js - the index's bytes (docs/search-index.md section 5.4).
 * loader(base)(name, where) -> Promise<Uint8Array>: base is the site's
 *   search/ URL, name "meta", "t-000", ..., where (shards only) index.js's
 *   place(): the file holding the shard's run of 16 (t-017 is in t-b001)
 *   and its range there. Each name loads once (a failure is forgotten, so
 *   it can be retried). Over http(s) it fetches meta.bin, or the shard's
 *   range of its .bin file (a server that ignores the Range header sends
 *   the whole file, which works too). From file: pages (no fetch there) it
 *   adds a <script> for meta.js or the run's .js file, whose
 *   kbcSearchLoaded(name, base64) calls (the global defined here) leave
 *   each block's base64 until it is asked for.
 *   Failure: Error("search index: ...").
 * cut(bytes, where, ranged) -> the shard's bytes out of what was read: the
 *   range (ranged) or the whole file; throws when the size is not the meta
 *   block's.
 * files(read) -> a loader like loader(base)'s, over read(file) -> the bytes
 *   of search/FILE (node's fs.readFileSync, for the tests): whole files,
 *   cut as over http(s) from a server that ignores Range.
 * indexBase() -> the search/ URL from <meta name="kbc-root" content="../">. */
(function (root, f) {
  if (typeof module === 'object') module.exports = f(global);
  else (root.kbcSearch = root.kbcSearch || {}).load = f(root);
})(typeof self !== 'undefined' ? self : this, function (root) {
  'use strict';
  var given = new Map();     // name -> base64, from the scripts loaded
  var scripts = new Map();   // script file -> Promise of its load

  root.kbcSearchLoaded = function (name, b64) {
    given.set(name, b64);
  };

  function load(base, file) {
    if (!scripts.has(file)) {
      scripts.set(file, new Promise(function (ok, no) {
        var s = document.createElement('script');
        s.onload = function () { s.remove(); ok(); };
        s.onerror = function () {
          s.remove();
          scripts.delete(file);
          no(new Error('search index: cannot load search/' + file + '.js'));
        };
        s.src = base + file + '.js';
        document.head.append(s);
      }));
    }
    return scripts.get(file);
  }

  function script(base, name, where) {
    var file = where ? where.file : name;
    return load(base, file).then(function () {
      var b64 = given.get(name);
      if (b64 === undefined) {
        scripts.delete(file);   // a later try loads the file again
        throw new Error('search index: no data in search/' + file + '.js');
      }
      given.delete(name);       // the loader's cache keeps the bytes
      try {
        return Uint8Array.from(atob(b64), function (c) { return c.charCodeAt(0); });
      } catch (e) {
        throw new Error('search index: bad base64 in search/' + file + '.js');
      }
    });
  }

  function cut(b, where, ranged) {
    if (!where) return b;
    var size = ranged ? where.length : where.total;
    if (b.length !== size) {
      throw new Error('search index: search/' + where.file + '.bin is corrupt: ' + (ranged ? 'the range has ' : 'it has ') +
        b.length + ' bytes, the meta block says ' + size);
    }
    return ranged ? b : b.subarray(where.at, where.at + where.length);
  }

  function bin(base, name, where) {
    var file = where ? where.file : name, ranged = false;
    var init = where ? { headers: { Range: 'bytes=' + where.at + '-' + (where.at + where.length - 1) } } : {};
    return fetch(base + file + '.bin', init).then(function (r) {
      if (!r.ok) throw new Error('HTTP ' + r.status);
      ranged = r.status === 206;
      var total = /\/(\d+)$/.exec(r.headers.get('Content-Range') || '');
      if (ranged && total && where && Number(total[1]) !== where.total) {
        throw new Error('the file has ' + total[1] + ' bytes, the meta block says ' + where.total);
      }
      return r.arrayBuffer();
    }).then(function (b) { return new Uint8Array(b); }, function (e) {
      throw new Error('search index: cannot load search/' + file + '.bin (' + e.message + ')');
    }).then(function (b) { return cut(b, where, ranged); });
  }

  function files(read) {
    return function (name, where) {
      var file = (where ? where.file : name) + '.bin';
      return Promise.resolve(file).then(read).then(function (b) {
        return cut(new Uint8Array(b), where, false);
      }, function (e) {
        throw new Error('search index: cannot load search/' + file + ' (' + (e.code || e.message) + ')');
      });
    };
  }

  return {
    loader: function (base) {
      var cache = new Map(), get = new URL(base, location.href).protocol === 'file:' ? script : bin;
      return function (name, where) {
        if (!cache.has(name)) {
          cache.set(name, get(base, name, where).catch(function (e) { cache.delete(name); throw e; }));
        }
        return cache.get(name);
      };
    },
    cut: cut,
    files: files,
    indexBase: function () {
      var m = document.querySelector('meta[name="kbc-root"]');
      return new URL((m ? m.content : '') + 'search/', location.href).href;
    },
  };
});
