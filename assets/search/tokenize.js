/* tokenize.js - text to search terms exactly as src/tokenize.c
 * (docs/search-index.md section 2).
 * tokenize(text, pos) -> {toks, tokens, pos}: toks in C's order, each
 *   {term, norm, pos, compound, whole, token, start, end}; term is a stem
 *   or a compound's text, null for a stop word; [start, end) is its span in
 *   text (UTF-16). Terms over 64 UTF-8 bytes are dropped (position kept).
 * normalise(s): NFKD, marks removed, folded as utf8proc folds. Pure; never
 * throws. Needs stem.js. Classes come from the browser's Unicode tables
 * (\p{..}); characters newer than the C side's utf8proc may differ. */
(function (root, f) {
  if (typeof module === 'object') module.exports = f(require('./stem.js').kbcStem);
  else (root.kbcSearch = root.kbcSearch || {}).tokenize = f(root.kbcStem);
})(typeof self !== 'undefined' ? self : this, function (stem) {
  'use strict';
  var STOP = new Set(('a an and are as at be but by for if in into is it no not of on or such that ' +
    'the their then there these they this to was will with').split(' '));
  var LU = 1, LL = 2, LO = 3, M = 4, ND = 5, NO = 6;   // 0: not a word character
  var RE = [/\p{Lu}/u, /\p{Ll}/u, /\p{L}/u, /\p{M}/u, /\p{Nd}/u, /\p{N}/u], cache = new Map();

  function cls(c) {
    if (c < 128) return c > 64 && c < 91 ? LU : c > 96 && c < 123 ? LL : c > 47 && c < 58 ? ND : 0;
    var k = cache.get(c), ch = String.fromCodePoint(c);
    for (var i = 0; k === undefined; i++) k = i === RE.length ? 0 : RE[i].test(ch) ? i + 1 : undefined;
    cache.set(c, k);
    return k;
  }
  var isConn = function (c) { return c === 46 || c === 95 || c === 58 || c === 45 || c === 47; }; // . _ : - /

  // toLowerCase() is not case folding: besides ß ς ſ, utf8proc folds Greek
  // letters with iota subscript to letter + ι, Cherokee to capitals, and
  // U+1C80..1C88 to plain Cyrillic.
  var IOTA = /[\u1F80-\u1FAF\u1FB2-\u1FB4\u1FB7\u1FBC\u1FC2-\u1FC4\u1FC7\u1FCC\u1FF2-\u1FF4\u1FF7\u1FFC]/g;
  var FOLD = /[ßςſ\u2019\u13F8-\u13FD\u1C80-\u1C88\uAB70-\uABBF]/g, CYR = 'вдосттъѣꙋ';
  function fold(ch) {
    var c = ch.charCodeAt(0);
    return ch === 'ß' ? 'ss' : ch === 'ς' ? 'σ' : ch === 'ſ' ? 's' : c === 0x2019 ? "'" :
      String.fromCharCode(c >= 0xAB70 ? c - 0xAB70 + 0x13A0 : c < 0x1C80 ? c - 8 : CYR.charCodeAt(c - 0x1C80));
  }
  function normalise(s) {
    if (/^[\0-\x7F]*$/.test(s)) return s.toLowerCase();
    s = s.replace(IOTA, function (ch) { return ch.normalize('NFD').replace('\u0345', '') + 'ι'; });
    return s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(FOLD, fold);
  }
  function utf8Length(s) {
    for (var n = 0, i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >> 10 === 54 && s.charCodeAt(i + 1) >> 10 === 55 ? (i++, 4) : 3;
    }
    return n;
  }

  function tokenize(text, pos0) {
    var cp = [], k = [], off = [], out = [], pos = pos0 || 0, tokens = 0;
    for (var i = 0; i < text.length; i += cp[cp.length - 1] > 0xFFFF ? 2 : 1) {
      cp.push(text.codePointAt(i)); k.push(cls(cp[cp.length - 1])); off.push(i);
    }
    off.push(text.length);
    function add(term, norm, p, compound, whole, a, b) {   // code points [a, b)
      if (term === null || utf8Length(term) <= 64) {
        out.push({ term: term, norm: norm, pos: p, compound: compound, whole: whole, token: tokens,
          start: off[a], end: off[b] });
      }
    }
    function norm(a, b) { return normalise(text.slice(off[a], off[b])); }
    function emit(a, b) {   // one token: code points [a, b)
      var first = pos, pieces = 0, part = a, conn = false;
      for (var i = a; i <= b; i++) {
        if (i < b && !isConn(cp[i])) continue;
        if (i < b) conn = true;
        var ps = part, n = 0, partFirst = pos;
        for (var j = part; j <= i; j++) {   // cut the part [part, i) at case boundaries
          var cut = j === i || (j > ps && ((k[j - 1] === LL || k[j - 1] === ND) && k[j] === LU ||
            k[j - 1] === LU && k[j] === LU && j + 1 < i && k[j + 1] === LL));
          if (!cut) continue;
          if (j > ps) {
            var w = norm(ps, j);
            add(w && !STOP.has(w) ? stem(w) : null, w, pos++, false, false, ps, j);
            pieces++;
            n++;
          }
          ps = j;
        }
        if (n > 1 && conn) { w = norm(part, i); add(w, w, partFirst, true, false, part, i); }
        part = i + 1;
      }
      if (pieces > 1) { w = norm(a, b); add(w, w, first, true, true, a, b); }
      tokens++;
    }
    var start = 0, inside = false, n = cp.length;
    for (var j = 0; j <= n; j++) {
      var word = j < n && k[j] !== 0;
      if (!word && j < n && inside && j + 1 < n && k[j + 1]) {   // joiners need a word character after
        word = isConn(cp[j]) || ((cp[j] === 39 || cp[j] === 0x2019) && k[j - 1] && k[j - 1] <= LO && k[j + 1] <= LO);
      }
      if (word && !inside) { start = j; inside = true; } else if (!word && inside) { emit(start, j); inside = false; }
    }
    return { toks: out, tokens: tokens, pos: pos };
  }

  return { tokenize: tokenize, normalise: normalise, stem: stem, utf8Length: utf8Length };
});
