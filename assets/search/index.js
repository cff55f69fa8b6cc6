/* index.js - decoding the binary search index (docs/search-index.md
 * section 5). Each decoder takes a whole file (Uint8Array) and returns it
 * decoded, or throws Error("search index: <file> ...") when the header,
 * CRC, a varint, a string or a number is out of bounds: never a partial result.
 *   meta(bytes) -> {nDocs, notes:[{title,url}], docs:[{note,heading,anchor,text}],
 *                   shards:[{first,firstBytes,bytes}], texts:[{first,bytes}]}
 *   terms(bytes, i, meta) -> [{s, df, idf, shard, data, post, postLen}] in byte order
 *   postings(term, nDocs) -> {doc, mask, weight, at, npos} typed arrays, cached
 *   positions(term, k) -> absolute positions of posting k
 *   text(bytes, i, meta) -> the texts of text shard i's documents */
(function (root, f) {
  if (typeof module === 'object') module.exports = f();
  else (root.kbcSearch = root.kbcSearch || {}).index = f();
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';
  var KINDS = ['', 'meta', 'terms', 'text'], utf8 = new TextDecoder();
  var CRC = new Int32Array(256).map(function (_, i) {
    for (var k = 0; k < 8; k++) i = i & 1 ? 0xEDB88320 ^ (i >>> 1) : i >>> 1;
    return i;
  });
  function crc32(b, from) {
    for (var c = -1, i = from; i < b.length; i++) c = CRC[(c ^ b[i]) & 255] ^ (c >>> 8);
    return (c ^ -1) >>> 0;
  }
  function fail(what, msg) { throw new Error('search index: ' + what + ' is corrupt: ' + msg); }

  /* Check the 16-byte header: magic "KBCX", version 1, kind, length, CRC. */
  function open(b, kind, what) {
    var u32 = function (at) { return (b[at] | b[at + 1] << 8 | b[at + 2] << 16 | b[at + 3] << 24) >>> 0; };
    var no = function (msg) { throw new Error('search index: ' + what + ' ' + msg); };
    if (!b.length) no('is empty');
    if (String.fromCharCode.apply(null, b.subarray(0, 4)) !== 'KBCX') {
      no('is not a kbc search index file (bad magic)');
    }
    if (b.length < 16) no('is truncated: ' + b.length + ' bytes, shorter than its header');
    if (b[4] !== 1) no('has format version ' + b[4] + ', this reader knows version 1');
    if (b[5] !== kind) no('holds a ' + (KINDS[b[5]] || 'kind ' + b[5]) + ' block, not a ' + KINDS[kind] + ' one');
    if (u32(8) !== b.length - 16) {
      no('is truncated or padded: payload length ' + u32(8) + ', ' + (b.length - 16) + ' bytes follow the header');
    }
    if (crc32(b, 16) !== u32(12)) fail(what, 'checksum mismatch, the file is damaged');
    return new Cursor(b, 16, b.length, what);
  }

  /* A bounds-checked reader over b[at, end). */
  function Cursor(b, at, end, what) { this.b = b; this.at = at; this.end = end; this.what = what; }
  Cursor.prototype.v = function (label) {   // LEB128, at most 5 bytes, below 2^32
    for (var r = 0, shift = 0; shift < 35; shift += 7) {
      if (this.at >= this.end) fail(this.what, label + ' runs past the end');
      var x = this.b[this.at++];
      if (shift === 28 && x & 0x70) break;
      r += (x & 127) * Math.pow(2, shift);
      if (x < 128) return r;
    }
    fail(this.what, label + ' is not a 32-bit varint');
  };
  Cursor.prototype.u8 = function (label) {
    if (this.at >= this.end) fail(this.what, label + ' runs past the end');
    return this.b[this.at++];
  };
  Cursor.prototype.bytes = function (label) {
    var n = this.v(label);
    if (n > this.end - this.at) fail(this.what, label + ' runs past the end');
    return this.b.subarray(this.at, this.at += n);
  };
  Cursor.prototype.str = function (label) { return utf8.decode(this.bytes(label)); };
  Cursor.prototype.done = function () {
    if (this.at !== this.end) fail(this.what, (this.end - this.at) + ' unexpected bytes at the end');
  };

  function cmp(a, b) {   // byte order, as strcmp
    for (var i = 0; i < a.length && i < b.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
    return a.length - b.length;
  }

  function meta(b) {
    var c = open(b, 1, 'meta block'), m = { nDocs: c.v('counts') }, i, d, s;
    var nNotes = c.v('counts'), nShards = c.v('counts'), nTexts = c.v('counts');
    for (i = 0; i < 13; i++) c.v('weights');   // k1, then w and b of six fields: fixed
    if (nNotes > m.nDocs || m.nDocs > 5e7 || nShards > 1e6 || nTexts > m.nDocs ||
      2 * nNotes + 4 * m.nDocs + 2 * nShards + 2 * nTexts > c.end - c.at) fail(c.what, 'bad counts');
    m.notes = [];
    for (i = 0; i < nNotes; i++) m.notes.push({ title: c.str('note ' + i), url: c.str('note ' + i) });
    m.docs = [];
    for (i = 0; i < m.nDocs; i++) {
      s = 'document ' + i;
      d = { note: c.v(s), heading: c.str(s), anchor: c.str(s), text: c.v(s) };
      if (d.note >= nNotes || d.text >= nTexts) fail(c.what, 'document ' + i + ' has a bad note or text shard');
      m.docs.push(d);
    }
    m.shards = [];
    for (i = 0; i < nShards; i++) {
      s = c.bytes('terms shard ' + i);
      if (i && cmp(m.shards[i - 1].firstBytes, s) >= 0) fail(c.what, 'shards out of order at ' + i);
      m.shards.push({ first: utf8.decode(s), firstBytes: s, bytes: c.v('terms shard ' + i) });
    }
    m.texts = [];
    for (i = 0; i < nTexts; i++) {
      s = { first: c.v('text shard ' + i), bytes: c.v('text shard ' + i) };
      if (s.first >= m.nDocs || (i ? s.first <= m.texts[i - 1].first : s.first)) {
        fail(c.what, 'text shard ' + i + ' has a bad first document');
      }
      m.texts.push(s);
    }
    c.done();
    m.docs.forEach(function (d, k) {   // text shards hold consecutive documents
      var t = m.texts[d.text + 1];
      if (k < m.texts[d.text].first || (t && k >= t.first)) fail(c.what, 'document ' + k + ' is not in its shard');
    });
    return m;
  }

  function terms(b, i, m) {
    var c = open(b, 2, 'terms shard ' + i), n = c.v('the term count'), out = [], sum = 0;
    var prev = b.subarray(0, 0), first = prev;
    if (n > c.end - c.at) fail(c.what, 'bad term count');
    for (var k = 0; k < n; k++) {
      var shared = c.v('term ' + k);
      if (shared > prev.length) fail(c.what, 'term ' + k + ' shares more than the previous term has');
      var suffix = c.bytes('term ' + k), s = new Uint8Array(shared + suffix.length);
      s.set(prev.subarray(0, shared));
      s.set(suffix, shared);
      if (k && cmp(prev, s) >= 0) fail(c.what, 'terms out of order at ' + k);
      var l = 'term ' + k, t = { s: utf8.decode(s), df: c.v(l), idf: c.v(l), postLen: c.v(l), shard: i, data: b };
      if (!t.df || t.df > m.nDocs) fail(c.what, 'bad document count for term ' + k);
      out.push(t);
      sum += t.postLen;
      prev = s;
      if (!k) first = s;
    }
    if (sum !== c.end - c.at) fail(c.what, 'posting lists do not fill the shard');
    out.forEach(function (t) { t.post = c.at; c.at += t.postLen; });
    if (n && cmp(first, m.shards[i].firstBytes)) fail(c.what, 'its first term is not the one the meta block names');
    if (n && m.shards[i + 1] && cmp(prev, m.shards[i + 1].firstBytes) >= 0) {
      fail(c.what, 'its last term belongs to the next shard');
    }
    return out;
  }

  function postings(t, nDocs) {
    if (t.p) return t.p;
    var c = new Cursor(t.data, t.post, t.post + t.postLen, 'terms shard ' + t.shard), n = t.df;
    var p = { doc: new Uint32Array(n), mask: new Uint8Array(n), weight: new Uint8Array(n),
      at: new Uint32Array(n), npos: new Uint32Array(n) };
    try {
      for (var i = 0, doc = 0; i < n; i++) {
        var delta = c.v('');
        if ((i && !delta) || delta > nDocs - doc || (doc += delta) >= nDocs) throw i;
        p.doc[i] = doc;
        p.mask[i] = c.u8('');
        p.weight[i] = c.u8('');
        p.npos[i] = c.v('');
        if (p.npos[i] > c.end - c.at) throw i;
        p.at[i] = c.at;
        for (var k = 0; k < p.npos[i]; k++) c.v('');
      }
      c.done();
    } catch (e) {
      fail(c.what, "the posting list of '" + t.s + "' is damaged");
    }
    return (t.p = p);
  }

  function positions(t, k) {
    var c = new Cursor(t.data, t.p.at[k], t.post + t.postLen, ''), out = [];
    for (var i = 0, at = 0; i < t.p.npos[k]; i++) out.push(at += c.v(''));
    return out;
  }

  function text(b, i, m) {
    var c = open(b, 3, 'text shard ' + i), first = c.v('the first document'), n = c.v('the count'), out = [];
    var next = m.texts[i + 1] ? m.texts[i + 1].first : m.nDocs;
    if (first !== m.texts[i].first || n !== next - first) {
      fail(c.what, 'it does not hold the documents the meta block names');
    }
    while (n--) out.push(c.str('a document'));
    c.done();
    return out;
  }

  return { meta: meta, terms: terms, postings: postings, positions: positions, text: text, crc32: crc32 };
});
