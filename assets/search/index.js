/* index.js - decoding kbc's binary search index (docs/search-index.md
 * section 5): block header, CRC-32, varints, meta, terms and text payloads.
 *
 * Every function takes the whole file as a Uint8Array and either returns
 * the decoded block or throws an Error whose message starts with
 * "search index: " and names the file ("search index: terms shard 3 is
 * corrupt: term 7 runs past the end"). Every varint and string is checked
 * against the end of the payload and every number against its range, so a
 * truncated, damaged or foreign file never yields a partial result.
 *
 *   decodeMeta(bytes) -> { nDocs, nNotes, k1, fields: [{w, b}],
 *       notes: [{title, url}], docs: [{note, heading, anchor, text}],
 *       shards: [{first, bytes}], texts: [{first, bytes}] }
 *   decodeTerms(bytes, i, meta) -> [{ s, df, idf, shard, data, post, postLen }]
 *       terms in byte order; postings stay undecoded until postings() runs.
 *   postings(term, nDocs) -> { doc, mask, weight, posAt, npos } (typed
 *       arrays, one entry per document; cached on the term)
 *   positions(term, k) -> the absolute positions of posting k
 *   decodeText(bytes, i, meta) -> [text of each document of text shard i]
 *   compareBytes(a, b), crc32(bytes, from, to)
 * Works as a classic script (self.kbcSearch.index) and in node (require). */
(function (root, factory) {
  'use strict';
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else (root.kbcSearch = root.kbcSearch || {}).index = factory();
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  var MAGIC = [0x4B, 0x42, 0x43, 0x58]; // "KBCX"
  var VERSION = 1;
  var HEADER = 16;
  var KINDS = ['', 'meta', 'terms', 'text'];
  var N_FIELDS = 6;
  var utf8 = new TextDecoder('utf-8');

  var CRC = (function () {
    var t = new Int32Array(256);
    for (var i = 0; i < 256; i++) {
      var c = i;
      for (var k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1;
      t[i] = c;
    }
    return t;
  })();

  /* CRC-32 (IEEE 802.3, as zlib) of bytes[from, to). */
  function crc32(bytes, from, to) {
    var c = -1;
    for (var i = from; i < to; i++) c = CRC[(c ^ bytes[i]) & 0xFF] ^ (c >>> 8);
    return (c ^ -1) >>> 0;
  }

  function u32(b, at) { return (b[at] | b[at + 1] << 8 | b[at + 2] << 16 | b[at + 3] << 24) >>> 0; }

  function fail(what, msg) { throw new Error('search index: ' + what + ' is corrupt: ' + msg); }

  /* Check the block header of `bytes` (the whole file, named `what`) and
   * return its payload's end; the payload starts at HEADER. */
  function openBlock(bytes, kind, what) {
    var n = bytes.length;
    function refuse(msg) { throw new Error('search index: ' + what + ' ' + msg); }
    if (n === 0) refuse('is empty');
    for (var i = 0; i < 4; i++) {
      if (i >= n || bytes[i] !== MAGIC[i]) refuse('is not a kbc search index file (bad magic)');
    }
    if (n < HEADER) refuse('is truncated: ' + n + ' bytes, shorter than its ' + HEADER + '-byte header');
    if (bytes[4] !== VERSION) {
      refuse('has format version ' + bytes[4] + ', this reader knows version ' + VERSION);
    }
    if (bytes[5] !== kind) {
      refuse('holds a ' + (KINDS[bytes[5]] || 'kind ' + bytes[5]) + ' block where a ' + KINDS[kind] +
        ' block was expected');
    }
    var len = u32(bytes, 8);
    if (len !== n - HEADER) {
      refuse('is truncated or padded: its payload length is ' + len + ' but ' + (n - HEADER) +
        ' bytes follow the header');
    }
    if (crc32(bytes, HEADER, n) !== u32(bytes, 12)) fail(what, 'checksum mismatch, the file is damaged');
    return n;
  }

  /* A bounds-checked reader over bytes[at, end); `what` names the file. */
  function Cursor(bytes, at, end, what) {
    this.b = bytes; this.at = at; this.end = end; this.what = what;
  }
  /* Unsigned LEB128, at most 5 bytes, below 2^32. */
  Cursor.prototype.varint = function (label) {
    var r = 0;
    for (var shift = 0; shift < 35; shift += 7) {
      if (this.at >= this.end) fail(this.what, label + ' runs past the end');
      var byte = this.b[this.at++];
      if (shift === 28 && (byte & 0x70)) fail(this.what, label + ' does not fit in 32 bits');
      r += (byte & 0x7F) * Math.pow(2, shift);
      if (!(byte & 0x80)) return r;
    }
    fail(this.what, label + ' is longer than 5 bytes');
  };
  Cursor.prototype.u8 = function (label) {
    if (this.at >= this.end) fail(this.what, label + ' runs past the end');
    return this.b[this.at++];
  };
  /* A length-prefixed string's bytes (a view into the file). */
  Cursor.prototype.bytes = function (label) {
    var n = this.varint(label);
    if (n > this.end - this.at) fail(this.what, label + ' runs past the end');
    this.at += n;
    return this.b.subarray(this.at - n, this.at);
  };
  Cursor.prototype.str = function (label) { return utf8.decode(this.bytes(label)); };
  Cursor.prototype.done = function () {
    if (this.at !== this.end) fail(this.what, (this.end - this.at) + ' unexpected bytes at the end');
  };

  /* Byte order, as C's strcmp. */
  function compareBytes(a, b) {
    var n = Math.min(a.length, b.length);
    for (var i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
    return a.length - b.length;
  }

  function decodeMeta(bytes) {
    var what = 'meta block';
    var c = new Cursor(bytes, HEADER, openBlock(bytes, 1, what), what);
    var m = { nDocs: c.varint('the document count'), nNotes: c.varint('the note count') };
    var nShards = c.varint('the term shard count'), nTexts = c.varint('the text shard count');
    m.k1 = c.varint('k1') / 1000;
    m.fields = [];
    for (var f = 0; f < N_FIELDS; f++) {
      m.fields.push({ w: c.varint('a field weight') / 100, b: c.varint('a field b') / 100 });
    }
    if (m.nNotes > m.nDocs || m.nDocs > 50000000 || nShards > 1000000 || nTexts > m.nDocs) {
      fail(what, 'bad counts');
    }
    // Each count is bounded by the bytes left, so a bad one cannot make us allocate much.
    if (m.nNotes * 2 + m.nDocs * 4 + nShards * 2 + nTexts * 2 > c.end - c.at) fail(what, 'counts exceed its size');
    m.notes = [];
    for (var i = 0; i < m.nNotes; i++) {
      m.notes.push({ title: c.str('note ' + i), url: c.str('note ' + i) });
    }
    m.docs = [];
    for (i = 0; i < m.nDocs; i++) {
      var d = { note: c.varint('document ' + i) };
      if (d.note >= m.nNotes) fail(what, 'document ' + i + ' has a bad note number');
      d.heading = c.str('document ' + i);
      d.anchor = c.str('document ' + i);
      d.text = c.varint('document ' + i);
      if (d.text >= nTexts) fail(what, 'document ' + i + ' has a bad text shard');
      m.docs.push(d);
    }
    m.shards = [];
    for (i = 0; i < nShards; i++) {
      var first = c.bytes('term shard ' + i);
      if (i && compareBytes(m.shards[i - 1].firstBytes, first) >= 0) fail(what, 'shards out of order at ' + i);
      m.shards.push({ first: utf8.decode(first), firstBytes: first, bytes: c.varint('term shard ' + i) });
    }
    m.texts = [];
    for (i = 0; i < nTexts; i++) {
      var t = { first: c.varint('text shard ' + i), bytes: c.varint('text shard ' + i) };
      if (t.first >= m.nDocs || (i && t.first <= m.texts[i - 1].first) || (!i && t.first !== 0)) {
        fail(what, 'text shard ' + i + ' has a bad first document');
      }
      m.texts.push(t);
    }
    c.done();
    // Text shards cover consecutive documents: each document's shard holds it.
    for (i = 0; i < m.nDocs; i++) {
      var s = m.docs[i].text;
      if (i < m.texts[s].first || (s + 1 < nTexts && i >= m.texts[s + 1].first)) {
        fail(what, 'document ' + i + ' is not in its text shard ' + s);
      }
    }
    return m;
  }

  function decodeTerms(bytes, i, meta) {
    var what = 'terms shard ' + i;
    var c = new Cursor(bytes, HEADER, openBlock(bytes, 2, what), what);
    var count = c.varint('the term count');
    if (count > c.end - c.at) fail(what, 'bad term count');
    var terms = [], prev = new Uint8Array(0), firstBytes = prev, total = 0;
    for (var k = 0; k < count; k++) {
      var label = 'term ' + k;
      var shared = c.varint(label);
      if (shared > prev.length) fail(what, label + ' shares more bytes than the previous term has');
      var suffix = c.bytes(label);
      var s = new Uint8Array(shared + suffix.length);
      s.set(prev.subarray(0, shared));
      s.set(suffix, shared);
      if (k && compareBytes(prev, s) >= 0) fail(what, 'terms out of order at ' + k);
      if (!k) firstBytes = s;
      var t = { s: utf8.decode(s), df: c.varint(label), idf: c.varint(label), shard: i, data: bytes,
        post: 0, postLen: c.varint(label), p: null };
      if (t.df === 0 || t.df > meta.nDocs) fail(what, 'bad document count for term ' + k);
      terms.push(t);
      total += t.postLen;
      prev = s;
    }
    if (total !== c.end - c.at) fail(what, 'posting lists do not fill the shard');
    for (k = 0, total = c.at; k < count; k++) {
      terms[k].post = total;
      total += terms[k].postLen;
    }
    var sh = meta.shards[i];
    if (count && compareBytes(firstBytes, sh.firstBytes) !== 0) {
      throw new Error('search index: ' + what + ' does not start with the term the meta block names');
    }
    if (count && i + 1 < meta.shards.length && compareBytes(prev, meta.shards[i + 1].firstBytes) >= 0) {
      fail(what, 'its last term belongs to the next shard');
    }
    return terms;
  }

  /* The postings of `term` (see decodeTerms), checked and cached. */
  function postings(term, nDocs) {
    if (term.p) return term.p;
    var what = 'terms shard ' + term.shard;
    var c = new Cursor(term.data, term.post, term.post + term.postLen, what);
    var n = term.df;
    var p = { doc: new Uint32Array(n), mask: new Uint8Array(n), weight: new Uint8Array(n),
      posAt: new Uint32Array(n), npos: new Uint32Array(n) };
    var doc = 0;
    try {
      for (var i = 0; i < n; i++) {
        var delta = c.varint('a posting');
        if ((i && delta === 0) || delta > nDocs - doc) throw 0;
        doc += delta;
        if (doc >= nDocs) throw 0;
        p.doc[i] = doc;
        p.mask[i] = c.u8('a posting');
        p.weight[i] = c.u8('a posting');
        var np = c.varint('a posting');
        if (np > c.end - c.at) throw 0;
        p.posAt[i] = c.at;
        p.npos[i] = np;
        for (var k = 0; k < np; k++) c.varint('a position');
      }
      c.done();
    } catch (e) {
      fail(what, "the posting list of '" + term.s + "' is damaged");
    }
    term.p = p;
    return p;
  }

  /* Absolute positions of posting k of `term` (postings() must have run). */
  function positions(term, k) {
    var p = term.p, n = p.npos[k], out = new Array(n);
    var c = new Cursor(term.data, p.posAt[k], term.post + term.postLen, 'terms shard ' + term.shard);
    for (var i = 0, at = 0; i < n; i++) out[i] = at += c.varint('a position');
    return out;
  }

  function decodeText(bytes, i, meta) {
    var what = 'text shard ' + i;
    var c = new Cursor(bytes, HEADER, openBlock(bytes, 3, what), what);
    var first = c.varint('the first document'), count = c.varint('the document count');
    var next = i + 1 < meta.texts.length ? meta.texts[i + 1].first : meta.nDocs;
    if (first !== meta.texts[i].first || count !== next - first) {
      fail(what, 'it does not hold the documents the meta block names');
    }
    var texts = [];
    for (var k = 0; k < count; k++) texts.push(c.str('document ' + (first + k)));
    c.done();
    return texts;
  }

  return { decodeMeta: decodeMeta, decodeTerms: decodeTerms, decodeText: decodeText,
    postings: postings, positions: positions, compareBytes: compareBytes, crc32: crc32 };
});
