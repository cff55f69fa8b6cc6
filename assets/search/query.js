/* query.js - queries answered exactly as src/search.c answers them
 * (docs/search-index.md sections 3, 4): same clauses, candidate terms,
 * integer scores and order.
 * open(load) -> Promise<Searcher>; load(name, where) -> Promise<Uint8Array>
 *   for "meta", "t-000", "x-000", ..., where (for a shard) is index.js's
 *   place(): the file holding it and its range there. Only the meta block
 *   is read here; a query loads the term shards it needs, each once.
 * searcher.search(q, live) -> Promise<{hits: [{doc, score}], matched(doc)}>
 *   hits by score desc, then doc asc; matched(doc) is the Set of index terms
 *   through which doc matched (for highlighting). live: the last word is a
 *   prefix too unless q ends in a space.
 * searcher.doc(d) -> {title, url, heading, anchor}; searcher.text(d) ->
 *   Promise<string>. A bad file rejects with Error("search index: ...").
 * Scores are Numbers: exact below 2^53, far above any real index's. */
(function (root, f) {
  if (typeof module === 'object') module.exports = f(require('./tokenize.js'), require('./index.js'));
  else { var k = root.kbcSearch; k.query = f(k.tokenize, k.index); }
})(typeof self !== 'undefined' ? self : this, function (tk, ix) {
  'use strict';
  var FIELDS = ['title', 'topic', 'alias', 'heading', 'tag', 'body'], EXACT = 4, PREFIX = 2, TYPO = 1;
  var GAP = 10, PAGE = 10;   // positions between field values; results the bonuses must rank right
  var space = function (ch) { return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r'; };
  var cps = function (s) { return Array.from(s, function (c) { return c.codePointAt(0); }); };
  var name = function (p, i) { return p + String(i).padStart(3, '0'); };

  function cmp(a, b) {   // code point order = UTF-8 byte order (strcmp)
    for (var i = 0; i < a.length && i < b.length; i++) {
      var x = a.charCodeAt(i), y = b.charCodeAt(i);
      if (x === y) continue;
      if (x < 0xD800 || y < 0xD800) return x - y;
      return (x < 0xE000 ? x + 0x2000 : x - 0x800) - (y < 0xE000 ? y + 0x2000 : y - 0x800);   // surrogates last
    }
    return a.length - b.length;
  }

  /* Optimal-string-alignment distance of code point arrays: 0, 1 or 2 ("more"). */
  function osa1(a, b) {
    var n = a.length, m = b.length, i = 0;
    var same = function (x, y) {   // a[x..] equals b[y..]
      return n - x === m - y && a.slice(x).every(function (c, k) { return c === b[y + k]; });
    };
    if (Math.abs(n - m) > 1) return 2;
    while (i < n && i < m && a[i] === b[i]) i++;
    if (i === n && i === m) return 0;
    if (n === m) {   // substitution, or a swap of neighbours
      return same(i + 1, i + 1) || (i + 1 < n && a[i] === b[i + 1] && a[i + 1] === b[i] && same(i + 2, i + 2)) ? 1 : 2;
    }
    return (n > m ? same(i + 1, i) : same(i, i + 1)) ? 1 : 2;   // deletion, insertion
  }

  function Searcher(load, meta) { this.load = load; this.meta = meta; this.cache = {}; this.dts = new Map(); }

  function open(load) { return load('meta').then(function (b) { return new Searcher(load, ix.meta(b)); }); }

  /* Decoded shard `n` (once); `size` is what the meta block says it weighs. */
  Searcher.prototype.file = function (n, size, decode) {
    var c = this.cache;
    if (!c[n]) {
      c[n] = this.load(n, ix.place(this.meta, n)).then(function (b) {
        var v = decode(b);
        if (b.length !== size) throw new Error('search index: shard ' + n + ' is not the one the meta block names');
        return v;
      });
      c[n].catch(function () { delete c[n]; });
    }
    return c[n];
  };
  Searcher.prototype.shard = function (i) {
    var m = this.meta;
    return this.file(name('t-', i), m.shards[i].bytes, function (b) { return ix.terms(b, i, m); });
  };
  Searcher.prototype.entry = function (d) {   // {text, extra} of document d
    var m = this.meta, i = m.docs[d].text;
    return this.file(name('x-', i), m.texts[i].bytes, function (b) { return ix.text(b, i, m); })
      .then(function (t) { return t[d - m.texts[i].first]; });
  };
  Searcher.prototype.text = function (d) { return this.entry(d).then(function (x) { return x.text; }); };
  /* Document d's toks, tokenized field by field as the index was (section 2),
   * `names`: positions below it are in title, topic, alias or heading, and
   * byPos: position -> its toks. Kept for the last 1000 documents asked for. */
  Searcher.prototype.toks = async function (d) {
    var dts = this.dts, dt = dts.get(d);
    if (!dt) {
      dt = await this.tokenizeDoc(d);
      if (dts.size >= 1000) dts.clear();
      dts.set(d, dt);
      var index = function (map, key, t) { var l = map.get(key); if (l) l.push(t); else map.set(key, [t]); };
      dt.byPos = new Map();
      dt.byTerm = new Map();   // term -> its toks
      dt.byNorm = new Map();   // normalised piece -> its toks (pieces only)
      dt.toks.forEach(function (t) {
        index(dt.byPos, t.pos, t);
        if (t.term !== null) index(dt.byTerm, t.term, t);
        if (!t.compound) index(dt.byNorm, t.norm, t);
      });
    }
    return dt;
  };
  Searcher.prototype.tokenizeDoc = async function (d) {
    var m = this.meta, x = await this.entry(d), doc = m.docs[d], pos = 0, out = [], names;
    var val = function (s) {
      if (!s) return;
      var r = tk.tokenize(s, pos);
      r.toks.forEach(function (t) { out.push(t); });
      pos = r.pos + GAP;
    };
    if (!d || m.docs[d - 1].note !== doc.note) val(m.notes[doc.note].title);
    x.extra.forEach(function (e) { if (e[0] < 3) val(e[1]); });
    val(doc.heading);
    names = pos;
    x.extra.forEach(function (e) { if (e[0] === 4) val(e[1]); });
    val(x.text.slice(doc.heading.length + 1));
    return { toks: out, names: names };
  };
  Searcher.prototype.doc = function (d) {
    var x = this.meta.docs[d], n = this.meta.notes[x.note];
    return { title: n.title, url: n.url, heading: x.heading, anchor: x.anchor };
  };

  Searcher.prototype.shardFor = function (term) {   // the shard whose range can hold term
    var sh = this.meta.shards, lo = 0, hi = sh.length;
    while (hi - lo > 1) { var mid = (lo + hi) >> 1; if (cmp(sh[mid].first, term) <= 0) lo = mid; else hi = mid; }
    return lo;
  };
  function lower(terms, s) {   // first index whose term is >= s
    var lo = 0, hi = terms.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (cmp(terms[mid].s, s) < 0) lo = mid + 1; else hi = mid; }
    return lo;
  }
  Searcher.prototype.find = async function (term) {
    if (!this.meta.shards.length) return null;
    var terms = await this.shard(this.shardFor(term)), k = lower(terms, term);
    return k < terms.length && terms[k].s === term ? terms[k] : null;
  };
  /* fn(term) for every term that begins with prefix. */
  Searcher.prototype.prefixed = async function (prefix, fn) {
    var sh = this.meta.shards, first = this.shardFor(prefix);
    for (var i = first; i < sh.length && (i === first || sh[i].first.startsWith(prefix)); i++) {
      var terms = await this.shard(i);
      for (var k = lower(terms, prefix); k < terms.length && terms[k].s.startsWith(prefix); k++) fn(terms[k]);
    }
  };

  function add(cl, t, kind) { if (!(cl.cands.get(t) >= kind)) cl.cands.set(t, kind); }

  /* The clauses of q (section 4), their terms looked up. */
  var WORDCH = /[\p{L}\p{M}\p{N}]/u;

  Searcher.prototype.parse = async function (q, live) {
    var out = [], n = q.length, p = 0, i, cl, t, qpos = 0;
    // The plain words as an implicit phrase (docs/search-index.md section 3).
    var implicit = out.implicit = { words: [], missing: false };   // {term, norm, offset}
    var endsOpen = n > 0 && !/[ \t\n]/.test(q[n - 1]);
    while (p < n) {
      while (p < n && space(q[p])) p++;
      if (p >= n) break;
      // '-' negates only before a word character or a quote: "--flag" is a word.
      var neg = q[p] === '-' && p + 1 < n && (q[p + 1] === '"' || WORDCH.test(String.fromCodePoint(q.codePointAt(p + 1))));
      var field = -1, colon, start, end, phrase = false, prefix = false;
      if (neg || q[p] === '+') p++;
      for (colon = p; colon < n && q[colon] >= 'a' && q[colon] <= 'z'; colon++);
      if (q[colon] === ':' && colon > p && colon + 1 < n && q[colon + 1] !== ' ') {
        field = FIELDS.indexOf(q.slice(p, colon));
        if (field >= 0) p = colon + 1;
      }
      if (q[p] === '"') {
        phrase = true;
        start = ++p;
        while (p < n && q[p] !== '"') p++;
        end = p;
        if (p < n) p++;
      } else {
        for (start = p; p < n && !space(q[p]); p++);
        end = p;
        if (end > start && q[end - 1] === '*') { prefix = true; end--; }
      }
      var last = /^[ \t\r\n]*$/.test(q.slice(p)), r = tk.tokenize(q.slice(start, end), 0), toks = r.toks;
      var base = qpos;
      qpos += toks.filter(function (x) { return !x.compound; }).length;
      if (phrase) {   // its pieces, with their offsets from the first
        if (!toks.some(function (x) { return !x.compound && x.term !== null; })) continue;   // only stop words
        out.push(cl = { phrase: [], offset: [], neg: neg, field: field });
        for (i = 0; i < toks.length; i++) {
          if (toks[i].compound) continue;
          t = toks[i].term === null ? null : await this.find(toks[i].term);
          if (toks[i].term !== null && !t) cl.missing = true;
          cl.phrase.push(t);
          cl.offset.push(toks[i].pos - toks.find(function (x) { return !x.compound; }).pos);
        }
        continue;
      }
      for (var tok = 0; tok < r.tokens; tok++) {   // one clause per token of the item
        var mine = toks.filter(function (x) { return x.token === tok; });
        var pieces = mine.filter(function (x) { return !x.compound; });
        var whole = mine.find(function (x) { return x.whole; });
        var src = whole || (pieces.length === 1 ? pieces[0] : null);
        if (!src) continue;
        var len = cps(src.norm).length, term = src.term, plain = !neg && field < 0 && !prefix && !whole;
        if (plain && term === null) implicit.words.push({ term: null, norm: src.norm, offset: base + src.pos });
        if (!(prefix && len >= 2) && term === null) continue;   // a stop word
        out.push(cl = { cands: new Map(), neg: neg, field: field });
        var each = function (x) { add(cl, x, PREFIX); };
        if (prefix && len >= 2) { await this.prefixed(src.norm, each); continue; }
        if ((t = await this.find(term))) add(cl, t, EXACT);
        if (neg) continue;
        if (plain) {
          if (!t) implicit.missing = true;
          implicit.words.push({ term: t ? t.s : null, norm: src.norm, offset: base + src.pos });
        }
        if (!whole && len >= 5) await this.typos(cl, cps(term));
        if (live && endsOpen && last && tok === r.tokens - 1 && len >= 2) await this.prefixed(src.norm, each);
      }
    }
    return out;
  };

  /* Terms at distance 1 from the stem, starting with its first or second code point. */
  Searcher.prototype.typos = async function (cl, a) {
    var visit = function (t) { if (osa1(a, t.cps || (t.cps = cps(t.s))) === 1) add(cl, t, TYPO); };
    for (var k = 0; k < 2 && a.length >= 2 && !(k && a[1] === a[0]); k++) {
      await this.prefixed(String.fromCodePoint(a[k]), visit);
    }
  };

  function at(p, doc) {   // index of doc in postings p, or -1
    var lo = 0, hi = p.doc.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (p.doc[mid] < doc) lo = mid + 1; else hi = mid; }
    return p.doc[lo] === doc ? lo : -1;
  }
  var inField = function (cl, p, j) { return cl.field < 0 || p.mask[j] & 1 << cl.field; };

  /* Are the words at consecutive positions of dt (from toks()): terms[i]
   * (or, with norms, the piece norms[i]) at base + offset[i], all below limit? */
  function phraseIn(dt, terms, norms, offset, limit) {
    var want = norms || terms, n = want.length, lead = 0, byPos = dt.byPos;
    var hit = function (t, i) { return norms ? !t.compound && t.norm === norms[i] : t.term !== null && t.term === terms[i]; };
    while (lead < n && want[lead] === null) lead++;
    if (lead === n) return false;
    return ((norms ? dt.byNorm : dt.byTerm).get(want[lead]) || []).some(function (x) {
      if (x.pos < offset[lead] || x.pos >= limit) return false;
      var base = x.pos - offset[lead];
      return want.every(function (w, i) {
        if (i === lead || w === null) return true;
        var p = base + offset[i];
        return p < limit && (byPos.get(p) || []).some(function (t) { return hit(t, i); });
      });
    });
  }

  /* Each document's score for clause cl into score (0: no match). */
  Searcher.prototype.score = async function (cl, score) {
    var m = this.meta, ph = cl.phrase, lead = 0;
    score.fill(0);
    if (!ph) {
      cl.cands.forEach(function (kind, t) {
        var p = ix.postings(t, m);
        for (var j = 0; j < t.df; j++) {
          var s = t.idf * p.weight[j] * kind || 1;
          if (inField(cl, p, j) && s > score[p.doc[j]]) score[p.doc[j]] = s;
        }
      });
      return;
    }
    // phrase: every term in the document (in the field), then at
    // consecutive positions in its text
    while (lead < ph.length && !ph[lead]) lead++;
    if (lead === ph.length || cl.missing || ph.length > 64) return;
    var ps = ph.map(function (t) { return t && ix.postings(t, m); });
    var terms = ph.map(function (t) { return t ? t.s : null; });
    for (var k = 0; k < ph[lead].df; k++) {
      var doc = ps[lead].doc[k], sum = 0;
      var ok = ph.every(function (t, i) {
        if (!t) return true;
        var j = at(ps[i], doc);
        sum += j >= 0 ? t.idf * ps[i].weight[j] * EXACT : 0;
        return j >= 0 && inField(cl, ps[i], j);
      });
      if (ok && phraseIn(this.dts.get(doc) || await this.toks(doc), terms, null, cl.offset, Infinity)) score[doc] = sum || 1;
    }
  };

  /* The adjacency and exact-form bonuses (section 3), checked in the text
   * of the documents that could reach the first page. */
  Searcher.prototype.bonus = async function (im, total, alive) {
    var w = im.words, n = w.length, nt = w.filter(function (x) { return x.term !== null; }).length, d;
    var stem = nt >= 2, exact = n >= 2 && nt >= 1;
    if (im.missing || n > 64 || (!stem && !exact)) return;
    var terms = w.map(function (x) { return x.term; }), norms = w.map(function (x) { return x.norm; });
    var off = w.map(function (x) { return x.offset - w[0].offset; }), s = [];
    for (d = 0; d < total.length; d++) if (alive[d]) s.push(total[d]);
    if (!s.length) return;
    s.sort(function (a, b) { return b - a; });
    var sk = s[Math.min(s.length, PAGE) - 1], more = new Float64Array(total.length);
    for (d = 0; d < total.length; d++) {
      if (!alive[d] || total[d] * 11 < sk * 8) continue;
      var dt = this.dts.get(d) || await this.toks(d);
      if (stem && phraseIn(dt, terms, null, off, Infinity)) more[d] += Math.floor(total[d] / 4);
      if (exact && phraseIn(dt, null, norms, off, dt.names)) more[d] += Math.floor(total[d] / 8);
    }
    for (d = 0; d < total.length; d++) total[d] += more[d];
  };

  Searcher.prototype.search = async function (q, live) {
    var cls = await this.parse(String(q), !!live), n = this.meta.nDocs, hits = [], d, m = this.meta;
    var pos = cls.filter(function (c) { return !c.neg; });
    var res = { hits: hits, matched: function (doc) { return matched(pos, doc, m); } };
    if (!pos.length || !n) return res;
    var total = new Float64Array(n), one = new Float64Array(n), alive = new Uint8Array(n).fill(1);
    for (var i = 0; i < cls.length; i++) {
      await this.score(cls[i], one);
      for (d = 0; d < n; d++) {
        if (cls[i].neg ? one[d] : !one[d]) alive[d] = 0;
        else total[d] += one[d];
      }
    }
    await this.bonus(cls.implicit, total, alive);
    for (d = 0; d < n; d++) if (alive[d]) hits.push({ doc: d, score: total[d] });
    hits.sort(function (x, y) { return y.score - x.score || x.doc - y.doc; });
    return res;
  };

  function matched(cls, doc, m) {
    var out = new Set();
    cls.forEach(function (cl) {
      if (cl.phrase) { if (!cl.missing) cl.phrase.forEach(function (t) { if (t) out.add(t.s); }); return; }
      cl.cands.forEach(function (kind, t) {
        var p = ix.postings(t, m), j = at(p, doc);
        if (j >= 0 && inField(cl, p, j)) out.add(t.s);
      });
    });
    return out;
  }

  return { open: open, osa1: osa1, cmp: cmp };
});
