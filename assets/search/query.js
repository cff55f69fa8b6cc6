/* query.js - answering queries from the index exactly as src/search.c does
 * (docs/search-index.md sections 3 and 4): same clauses, same candidate
 * terms, same integer scores, same order.
 *
 * kbcSearch.query.open(load) -> Promise<Searcher>
 *   load(name) -> Promise<Uint8Array> fetches "meta", "t-000", "x-000", ...
 *   (see load.js). open() reads the meta block; everything else is loaded
 *   when a query needs it, each file once.
 * searcher.search(q, live) -> Promise<Result>
 *   Result: { hits: [{doc, score}] ranked by score desc, then doc asc;
 *             matched(doc) -> Set of the index terms through which `doc`
 *             matched a positive clause (for highlighting) }
 *   `live` (as you type) also matches the last word as a prefix when q
 *   does not end in a space. Scores are exact integers (Numbers; exact
 *   while below 2^53, which any real index is far from).
 * searcher.doc(d) -> {title, url, heading, anchor}; searcher.text(d) ->
 *   Promise<string> (the section's heading, a newline, its body).
 * A bad index file rejects the promise with an Error "search index: ...";
 * there is never a partial result. Works as a classic script
 * (self.kbcSearch.query; needs tokenize.js and index.js) and in node. */
(function (root, factory) {
  'use strict';
  if (typeof module === 'object' && module.exports) {
    module.exports = factory(require('./tokenize.js'), require('./index.js'));
  } else {
    var k = root.kbcSearch = root.kbcSearch || {};
    k.query = factory(k.tokenize, k.index);
  }
})(typeof self !== 'undefined' ? self : this, function (tk, ix) {
  'use strict';

  var FIELDS = ['title', 'topic', 'alias', 'heading', 'tag', 'body'];
  var EXACT = 4, PREFIX = 2, TYPO = 1;

  function isSpace(ch) { return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r'; }

  /* Code point order, which is UTF-8 byte order (C's strcmp). */
  function cmp(a, b) {
    var n = Math.min(a.length, b.length);
    for (var i = 0; i < n; i++) {
      var x = a.charCodeAt(i), y = b.charCodeAt(i);
      if (x !== y) {
        if (x >= 0xD800 && y >= 0xD800) { // surrogates sort above U+E000..FFFF
          x += x < 0xE000 ? 0x2000 : -0x800;
          y += y < 0xE000 ? 0x2000 : -0x800;
        }
        return x - y;
      }
    }
    return a.length - b.length;
  }

  function codePoints(s) {
    var out = [];
    for (var i = 0; i < s.length; i++) {
      var c = s.codePointAt(i);
      out.push(c);
      if (c > 0xFFFF) i++;
    }
    return out;
  }

  function eqFrom(a, i, b, j) { // a[i..] equals b[j..], same remaining length
    if (a.length - i !== b.length - j) return false;
    for (; i < a.length; i++, j++) if (a[i] !== b[j]) return false;
    return true;
  }

  /* Optimal-string-alignment distance: 0, 1, or 2 meaning "more". */
  function osa1(a, b) {
    var n = a.length, m = b.length;
    if (n > m + 1 || m > n + 1) return 2;
    var i = 0;
    while (i < n && i < m && a[i] === b[i]) i++;
    if (i === n && i === m) return 0;
    if (n === m) {
      if (eqFrom(a, i + 1, b, i + 1)) return 1;                      // substitution
      if (i + 1 < n && a[i] === b[i + 1] && a[i + 1] === b[i] && eqFrom(a, i + 2, b, i + 2)) return 1; // swap
      return 2;
    }
    return (n === m + 1 ? eqFrom(a, i + 1, b, i) : eqFrom(a, i, b, i + 1)) ? 1 : 2;
  }

  function pad3(i) { return (i < 10 ? '00' : i < 100 ? '0' : '') + i; }

  function Searcher(load, meta) {
    this.load = load;
    this.meta = meta;
    this.shards = [];   // promises of decoded term shards
    this.texts = [];    // promises of decoded text shards
  }

  function open(load) {
    return load('meta').then(function (bytes) { return new Searcher(load, ix.decodeMeta(bytes)); });
  }

  Searcher.prototype.shard = function (i) {
    var self = this;
    if (!this.shards[i]) {
      this.shards[i] = this.load('t-' + pad3(i)).then(function (bytes) {
        var terms = ix.decodeTerms(bytes, i, self.meta);
        if (bytes.length !== self.meta.shards[i].bytes) {
          throw new Error('search index: terms shard ' + i + ' does not belong to this index (' +
            bytes.length + ' bytes where the meta block says ' + self.meta.shards[i].bytes + ')');
        }
        return terms;
      });
      this.shards[i].catch(function () { self.shards[i] = null; });
    }
    return this.shards[i];
  };

  Searcher.prototype.text = function (d) {
    var self = this, s = this.meta.docs[d].text;
    if (!this.texts[s]) {
      this.texts[s] = this.load('x-' + pad3(s)).then(function (bytes) {
        var texts = ix.decodeText(bytes, s, self.meta);
        if (bytes.length !== self.meta.texts[s].bytes) {
          throw new Error('search index: text shard ' + s + ' does not belong to this index');
        }
        return texts;
      });
      this.texts[s].catch(function () { self.texts[s] = null; });
    }
    return this.texts[s].then(function (texts) { return texts[d - self.meta.texts[s].first]; });
  };

  Searcher.prototype.doc = function (d) {
    var doc = this.meta.docs[d], note = this.meta.notes[doc.note];
    return { title: note.title, url: note.url, heading: doc.heading, anchor: doc.anchor };
  };

  /* The shard whose range can hold `term`. */
  Searcher.prototype.shardFor = function (term) {
    var sh = this.meta.shards, lo = 0, hi = sh.length;
    while (hi - lo > 1) {
      var mid = (lo + hi) >> 1;
      if (cmp(sh[mid].first, term) <= 0) lo = mid; else hi = mid;
    }
    return lo;
  };

  /* First index in sorted `terms` whose string is >= s. */
  function lowerBound(terms, s) {
    var lo = 0, hi = terms.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (cmp(terms[mid].s, s) < 0) lo = mid + 1; else hi = mid;
    }
    return lo;
  }

  Searcher.prototype.find = async function (term) {
    if (!this.meta.shards.length) return null;
    var terms = await this.shard(this.shardFor(term));
    var k = lowerBound(terms, term);
    return k < terms.length && terms[k].s === term ? terms[k] : null;
  };

  /* Call fn(term) for every term beginning with `prefix`, in order. */
  Searcher.prototype.eachPrefixed = async function (prefix, fn) {
    var n = this.meta.shards.length;
    if (!n) return;
    var first = this.shardFor(prefix);
    for (var i = first; i < n; i++) {
      if (i !== first && !this.meta.shards[i].first.startsWith(prefix)) break;
      var terms = await this.shard(i);
      for (var k = lowerBound(terms, prefix); k < terms.length && terms[k].s.startsWith(prefix); k++) fn(terms[k]);
    }
  };

  function addCand(cl, t, kind) {
    var had = cl.cands.get(t);
    if (had === undefined || kind > had) cl.cands.set(t, kind);
  }

  Searcher.prototype.addTypos = async function (cl, stem) {
    var a = codePoints(stem);
    if (a.length < 2) return;
    var visit = function (t) {
      if (!t.cps) t.cps = codePoints(t.s);
      if (osa1(a, t.cps) === 1) addCand(cl, t, TYPO);
    };
    for (var k = 0; k < 2; k++) {
      if (k === 1 && a[1] === a[0]) break;
      await this.eachPrefixed(String.fromCodePoint(a[k]), visit);
    }
  };

  /* Parse q into clauses (section 4), looking their terms up. */
  Searcher.prototype.parse = async function (q, live) {
    var clauses = [], n = q.length, p = 0;
    var lastCh = q[n - 1];
    var endsOpen = n > 0 && !(lastCh === ' ' || lastCh === '\t' || lastCh === '\n');
    while (p < n) {
      while (p < n && isSpace(q[p])) p++;
      if (p >= n) break;
      var negative = false;
      if (q[p] === '+' || q[p] === '-') negative = q[p++] === '-';
      var field = -1, colon = p;
      while (colon < n && q[colon] >= 'a' && q[colon] <= 'z') colon++;
      if (q[colon] === ':' && colon > p && colon + 1 < n && q[colon + 1] !== ' ' &&
        FIELDS.indexOf(q.slice(p, colon)) >= 0) {
        field = FIELDS.indexOf(q.slice(p, colon));
        p = colon + 1;
      }
      var start, end, phrase = false, prefix = false;
      if (q[p] === '"') {
        phrase = true;
        start = ++p;
        while (p < n && q[p] !== '"') p++;
        end = p;
        if (p < n) p++;
      } else {
        start = p;
        while (p < n && !isSpace(q[p])) p++;
        end = p;
        if (end > start && q[end - 1] === '*') { prefix = true; end--; }
      }
      var lastItem = /^[ \t\r\n]*$/.test(q.slice(p));
      var r = tk.tokenize(q.slice(start, end), 0), toks = r.toks, i, cl;

      if (phrase) {
        cl = { phrase: [], offset: [], missing: false, negative: negative, field: field };
        clauses.push(cl);
        var firstPos = -1;
        for (i = 0; i < toks.length; i++) {
          if (toks[i].compound) continue;
          if (firstPos < 0) firstPos = toks[i].pos;
          var pt = null;
          if (toks[i].term !== null) {
            pt = await this.find(toks[i].term);
            if (!pt) cl.missing = true;
          }
          cl.phrase.push(pt);
          cl.offset.push(toks[i].pos - firstPos);
        }
        continue;
      }
      // One clause per token of the item.
      for (var tok = 0; tok < r.tokens; tok++) {
        var piece = null, whole = null, pieces = 0;
        for (i = 0; i < toks.length; i++) {
          if (toks[i].token !== tok) continue;
          if (toks[i].compound && toks[i].whole) whole = toks[i];
          else if (!toks[i].compound) { pieces++; piece = toks[i]; }
        }
        var src = whole || (pieces === 1 ? piece : null);
        if (!src) continue;
        var term = src.term, norm = src.norm;
        if (term === null && !prefix) continue; // a stop word
        cl = { cands: new Map(), negative: negative, field: field };
        clauses.push(cl);
        var isLast = lastItem && tok === r.tokens - 1;
        var len = codePoints(norm).length;
        if (prefix && len >= 2) {
          await this.eachPrefixed(norm, function (t) { addCand(cl, t, PREFIX); });
          continue;
        }
        if (term === null) continue;
        var t = await this.find(term);
        if (t) addCand(cl, t, EXACT);
        if (negative) continue;
        if (!whole && len >= 5) await this.addTypos(cl, term);
        if (live && endsOpen && isLast && len >= 2) {
          await this.eachPrefixed(norm, function (x) { addCand(cl, x, PREFIX); });
        }
      }
    }
    return clauses;
  };

  /* Binary search for `doc` in a postings' doc array; -1 when absent. */
  function findDoc(p, doc) {
    var lo = 0, hi = p.doc.length;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (p.doc[mid] < doc) lo = mid + 1; else hi = mid;
    }
    return lo < p.doc.length && p.doc[lo] === doc ? lo : -1;
  }

  /* Per-document score of one clause into `score` (0: no match). */
  Searcher.prototype.evalClause = function (cl, score) {
    var nDocs = this.meta.nDocs, k, i;
    score.fill(0);
    if (cl.cands) {
      cl.cands.forEach(function (kind, t) {
        var p = ix.postings(t, nDocs);
        for (var j = 0; j < t.df; j++) {
          if (cl.field >= 0 && !(p.mask[j] & (1 << cl.field))) continue;
          var s = t.idf * p.weight[j] * kind || 1;
          if (s > score[p.doc[j]]) score[p.doc[j]] = s;
        }
      });
      return;
    }
    // Phrase: every term present, at consecutive positions.
    var ph = cl.phrase, lead = 0;
    while (lead < ph.length && !ph[lead]) lead++;
    if (lead === ph.length || cl.missing || ph.length > 64) return;
    var ps = ph.map(function (t) { return t ? ix.postings(t, nDocs) : null; });
    for (k = 0; k < ph[lead].df; k++) {
      var doc = ps[lead].doc[k], mine = [], ok = true, sum = 0;
      for (i = 0; ok && i < ph.length; i++) {
        if (!ph[i]) continue;
        mine[i] = findDoc(ps[i], doc);
        if (mine[i] < 0 || (cl.field >= 0 && !(ps[i].mask[mine[i]] & (1 << cl.field)))) ok = false;
        else sum += ph[i].idf * ps[i].weight[mine[i]] * EXACT;
      }
      if (!ok) continue;
      var lp = ix.positions(ph[lead], mine[lead]), found = false;
      for (var a = 0; a < lp.length && !found; a++) {
        if (lp[a] < cl.offset[lead]) continue;
        var base = lp[a] - cl.offset[lead], all = true;
        for (i = 0; i < ph.length && all; i++) {
          if (!ph[i] || i === lead) continue;
          all = ix.positions(ph[i], mine[i]).indexOf(base + cl.offset[i]) >= 0;
        }
        found = all;
      }
      if (found) score[doc] = sum || 1;
    }
  };

  Searcher.prototype.search = async function (q, live) {
    var clauses = await this.parse(String(q), !!live);
    var nDocs = this.meta.nDocs, hits = [];
    var positive = clauses.filter(function (c) { return !c.negative; });
    var result = { hits: hits, matched: function (doc) { return matched(positive, doc, nDocs); } };
    if (!positive.length || !nDocs) return result;
    var total = new Float64Array(nDocs), one = new Float64Array(nDocs), alive = new Uint8Array(nDocs).fill(1);
    for (var i = 0; i < clauses.length; i++) {
      this.evalClause(clauses[i], one);
      for (var d = 0; d < nDocs; d++) {
        if (clauses[i].negative) { if (one[d]) alive[d] = 0; }
        else if (!one[d]) alive[d] = 0;
        else total[d] += one[d];
      }
    }
    for (d = 0; d < nDocs; d++) if (alive[d]) hits.push({ doc: d, score: total[d] });
    hits.sort(function (x, y) { return y.score - x.score || x.doc - y.doc; });
    return result;
  };

  /* The terms through which `doc` matched the positive clauses. */
  function matched(clauses, doc, nDocs) {
    var out = new Set();
    clauses.forEach(function (cl) {
      if (cl.phrase) {
        if (!cl.missing) cl.phrase.forEach(function (t) { if (t) out.add(t.s); });
        return;
      }
      cl.cands.forEach(function (kind, t) {
        var p = ix.postings(t, nDocs), j = findDoc(p, doc);
        if (j >= 0 && (cl.field < 0 || p.mask[j] & (1 << cl.field))) out.add(t.s);
      });
    });
    return out;
  }

  return { open: open, osa1: osa1, cmp: cmp, FIELDS: FIELDS };
});
