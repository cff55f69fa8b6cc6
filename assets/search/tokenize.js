/* tokenize.js - text to search terms, exactly as src/tokenize.c does it
 * (docs/search-index.md section 2), so query terms meet the index's terms.
 *
 * kbcSearch.tokenize.tokenize(text, pos) -> { toks, tokens, pos }
 *   text   a string; pos the first position (0 when omitted).
 *   toks   the terms in the C tokenizer's order, each
 *          { term, norm, pos, compound, whole, token, start, end }:
 *          term is the stem of a piece or a compound's text (null for a stop
 *          word or an empty piece), norm the normalised unstemmed text,
 *          token the index of the token it came from, and [start, end) its
 *          span in `text` (UTF-16 offsets, for highlighting).
 *   tokens how many tokens were seen; pos the position after the text.
 * Terms longer than 64 UTF-8 bytes are dropped (their position is still
 * used), as in C. Also exported: normalise(s), isStop(norm), stem(norm),
 * utf8Length(s). Pure functions; nothing throws for a string argument.
 * Limitation: character classes come from the browser's Unicode tables
 * (\p{...}), the C side's from utf8proc's; they agree on every character
 * both versions know. Works as a classic script (self.kbcSearch.tokenize,
 * needs stem.js first) and in node (require). */
(function (root, factory) {
  'use strict';
  if (typeof module === 'object' && module.exports) {
    module.exports = factory(require('./stem.js').kbcStem);
  } else {
    (root.kbcSearch = root.kbcSearch || {}).tokenize = factory(root.kbcStem);
  }
})(typeof self !== 'undefined' ? self : this, function (kbcStem) {
  'use strict';

  var MAX_TERM = 64;
  var STOP = new Set(('a an and are as at be but by for if in into is it no not of on or such ' +
    'that the their then there these they this to was will with').split(' '));

  // Character classes: 0 not a word character, else one of these.
  var LU = 1, LL = 2, LO = 3 /* Lt Lm Lo */, M = 4, ND = 5, NO = 6 /* Nl No */;
  var RE = [[/\p{Lu}/u, LU], [/\p{Ll}/u, LL], [/\p{L}/u, LO], [/\p{M}/u, M],
    [/\p{Nd}/u, ND], [/\p{N}/u, NO]];
  var classCache = new Map();

  function charClass(c) {
    if (c < 128) {
      if (c >= 65 && c <= 90) return LU;
      if (c >= 97 && c <= 122) return LL;
      return c >= 48 && c <= 57 ? ND : 0;
    }
    var k = classCache.get(c);
    if (k !== undefined) return k;
    var ch = String.fromCodePoint(c);
    k = 0;
    for (var i = 0; i < RE.length && !k; i++) if (RE[i][0].test(ch)) k = RE[i][1];
    classCache.set(c, k);
    return k;
  }
  function isLetter(k) { return k >= LU && k <= LO; }
  function isConnector(c) { return c === 46 || c === 95 || c === 58 || c === 45 || c === 47; } // . _ : - /
  function isApostrophe(c) { return c === 39 || c === 0x2019; }

  /* Section 2 step 3: NFKD, marks removed, case folded, U+2019 as '.
   * toLowerCase() is not full case folding; besides ß, ς and ſ, three
   * groups fold differently in utf8proc, which the C side uses:
   * a precomposed Greek letter with iota subscript folds to letter + ι
   * (a separate combining U+0345 is a mark and goes), Cherokee folds to
   * capitals, and U+1C80..1C88 fold to plain Cyrillic letters. */
  var IOTA = /[\u1F80-\u1FAF\u1FB2-\u1FB4\u1FB7\u1FBC\u1FC2-\u1FC4\u1FC7\u1FCC\u1FF2-\u1FF4\u1FF7\u1FFC]/g;
  var FOLD = /[ßςſ\u2019\u13F8-\u13FD\u1C80-\u1C88\uAB70-\uABBF]/g;
  var OLD_CYRILLIC = '\u0432\u0434\u043E\u0441\u0442\u0442\u044A\u0463\uA64B'; // U+1C80..1C88

  function fold(ch) {
    var c = ch.charCodeAt(0);
    if (ch === 'ß') return 'ss';
    if (ch === 'ς') return 'σ';
    if (ch === 'ſ') return 's';
    if (c === 0x2019) return "'";
    if (c >= 0xAB70) return String.fromCharCode(c - 0xAB70 + 0x13A0);
    if (c >= 0x1C80) return OLD_CYRILLIC[c - 0x1C80];
    return String.fromCharCode(c - 8); // U+13F8..13FD -> U+13F0..13F5
  }

  function normalise(s) {
    if (/^[\x00-\x7F]*$/.test(s)) return s.toLowerCase();
    s = s.replace(IOTA, function (ch) { return ch.normalize('NFD').replace('\u0345', '') + '\u03B9'; });
    return s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(FOLD, fold);
  }

  function isStop(norm) { return STOP.has(norm); }

  /* Bytes of `s` in UTF-8 (a lone surrogate counts 3, as U+FFFD would). */
  function utf8Length(s) {
    var n = 0;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c < 0x80) n += 1;
      else if (c < 0x800) n += 2;
      else if (c >= 0xD800 && c < 0xDC00 && i + 1 < s.length &&
        (s.charCodeAt(i + 1) & 0xFC00) === 0xDC00) { n += 4; i++; }
      else n += 3;
    }
    return n;
  }

  function tokenize(text, pos0) {
    // Decode once: code point, class, UTF-16 offset and length.
    var cp = [], cls = [], off = [], len = [];
    for (var i = 0; i < text.length;) {
      var c = text.codePointAt(i), l = c > 0xFFFF ? 2 : 1;
      cp.push(c); cls.push(charClass(c)); off.push(i); len.push(l);
      i += l;
    }
    var st = { pos: pos0 || 0, tokens: 0, toks: [] };

    function add(term, norm, p, compound, whole, start, end) {
      if (term !== null && utf8Length(term) > MAX_TERM) return;
      st.toks.push({ term: term, norm: norm, pos: p, compound: compound, whole: whole,
        token: st.tokens, start: start, end: end });
    }
    function span(a, b) { return [off[a], off[b - 1] + len[b - 1]]; } // cps [a, b)

    // One token: code points [a, b) with their connectors.
    function emitToken(a, b) {
      var first = st.pos, pieces = 0, partStart = a, hasConnector = false;
      for (var i = a; i <= b; i++) {
        if (i !== b && !isConnector(cp[i])) continue;
        if (i < b) hasConnector = true;
        // The part [partStart, i): cut at case boundaries.
        var ps = partStart, partPieces = 0, partFirst = st.pos;
        for (var j = partStart; j <= i; j++) {
          var cut = j === i;
          if (!cut && j > ps) {
            var prev = cls[j - 1], cur = cls[j];
            if ((prev === LL || prev === ND) && cur === LU) cut = true;
            else if (prev === LU && cur === LU && j + 1 < i && cls[j + 1] === LL) cut = true;
          }
          if (!cut) continue;
          if (j > ps) {
            var sp = span(ps, j), norm = normalise(text.slice(sp[0], sp[1])), term = null;
            if (norm && !STOP.has(norm)) term = kbcStem(norm);
            add(term, norm, st.pos, false, false, sp[0], sp[1]);
            st.pos++;
            pieces++;
            partPieces++;
          }
          ps = j;
        }
        // A part with several pieces is a compound of its own.
        if (partPieces > 1 && hasConnector) {
          var pp = span(partStart, i), pn = normalise(text.slice(pp[0], pp[1]));
          add(pn, pn, partFirst, true, false, pp[0], pp[1]);
        }
        partStart = i + 1;
      }
      if (pieces > 1) {
        var ws = span(a, b), wn = normalise(text.slice(ws[0], ws[1]));
        add(wn, wn, first, true, true, ws[0], ws[1]);
      }
      st.tokens++;
    }

    var n = cp.length, start = 0, inside = false;
    for (var j = 0; j <= n; j++) {
      var word = j < n && cls[j] !== 0;
      if (!word && j < n && inside) {
        // Connectors and apostrophes join when a word character follows.
        var nextWord = j + 1 < n && cls[j + 1] !== 0;
        if (nextWord && isConnector(cp[j])) word = true;
        else if (nextWord && isApostrophe(cp[j]) && isLetter(cls[j - 1]) && isLetter(cls[j + 1])) word = true;
      }
      if (word && !inside) {
        start = j;
        inside = true;
      } else if (!word && inside) {
        emitToken(start, j);
        inside = false;
      }
    }
    return { toks: st.toks, tokens: st.tokens, pos: st.pos };
  }

  return { tokenize: tokenize, normalise: normalise, isStop: isStop, stem: kbcStem,
    utf8Length: utf8Length, MAX_TERM: MAX_TERM };
});
