/* index.js - decoding the binary search index (docs/search-index.md
 * section 5). Each decoder takes a whole file (Uint8Array) and returns it
 * decoded, or throws Error("search index: <file> ...") when the header,
 * CRC, a varint, a string or a number is out of bounds: never a partial result.
 *   meta(bytes) -> {nDocs, k1, w:[6], notes:[{title,url}],
 *                   docs:[{note,heading,anchor,text,mask,norm:[6]}],
 *                   shards:[{first,firstBytes,bytes}], texts:[{first,bytes}]}
 *   terms(bytes, i, meta) -> [{s, df, idf, shard, data, post, postLen}] in byte order
 *   postings(term, meta) -> {doc, mask, weight} typed arrays, cached; the
 *                   weight computed from the field counts (section 3)
 *   text(bytes, i, meta) -> [{text, extra:[[field, value]]}] of text shard i's documents
 *   place(meta, name) -> {file, at, length, total}: where shard `name`
 *                   ("t-017", "x-003") lies: the file holding its run of
 *                   RUN shards ("t-b001", as .bin and .js), its offset and
 *                   length in the .bin, and that file's whole length */
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

  /* Check the 16-byte header: magic "KBCX", version 2, kind, length, CRC. */
  function open(b, kind, what) {
    var u32 = function (at) { return (b[at] | b[at + 1] << 8 | b[at + 2] << 16 | b[at + 3] << 24) >>> 0; };
    var no = function (msg) { throw new Error('search index: ' + what + ' ' + msg); };
    if (!b.length) no('is empty');
    if (String.fromCharCode.apply(null, b.subarray(0, 4)) !== 'KBCX') {
      no('is not a kbc search index file (bad magic)');
    }
    if (b.length < 16) no('is truncated: ' + b.length + ' bytes, shorter than its header');
    if (b[4] !== 2) no('has format version ' + b[4] + ', this reader knows version 2');
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
    var nNotes = c.v('counts'), nShards = c.v('counts'), nTexts = c.v('counts'), f;
    m.k1 = c.v('weights');
    m.w = [];
    for (i = 0; i < 6; i++) { m.w.push(c.v('weights')); c.v('weights'); }   // w and b of six fields
    if (nNotes > m.nDocs || m.nDocs > 5e7 || nShards > 1e6 || nTexts > m.nDocs || (m.nDocs && !nTexts) ||
      m.k1 < 1 || m.k1 > 1e5 || 2 * nNotes + 5 * m.nDocs + 2 * nShards + 2 * nTexts > c.end - c.at) {
      fail(c.what, 'bad counts');
    }
    if (m.w.some(function (x) { return x > 1000; })) fail(c.what, 'bad field weight');
    m.notes = [];
    for (i = 0; i < nNotes; i++) m.notes.push({ title: c.str('note ' + i), url: c.str('note ' + i) });
    m.docs = [];
    for (i = 0; i < m.nDocs; i++) {
      s = 'document ' + i;
      d = { note: c.v(s), heading: c.str(s), anchor: c.str(s), text: c.v(s), mask: c.u8(s), norm: [0, 0, 0, 0, 0, 0] };
      if (d.note >= nNotes || d.text >= nTexts) fail(c.what, 'document ' + i + ' has a bad note or text shard');
      if (d.mask >= 64) fail(c.what, 'document ' + i + ' has a bad field mask');
      for (f = 0; f < 6; f++) {
        if (d.mask & 1 << f && ((d.norm[f] = c.v(s)) < 1 || d.norm[f] > 1e8)) {
          fail(c.what, 'document ' + i + ' has a bad field norm');
        }
      }
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

  /* A posting's weight from its field counts, in integers (section 3). */
  function weight(m, d, mask, tf) {
    for (var x = 0, f = 0; f < 6; f++) if (mask & 1 << f) x += Math.floor(m.w[f] * tf[f] * 10000 / d.norm[f]);
    var w = Math.floor((2 * 255 * x + x + m.k1) / (2 * (x + m.k1)));
    return w < 1 ? 1 : w > 255 ? 255 : w;
  }

  function postings(t, m) {
    if (t.p) return t.p;
    var c = new Cursor(t.data, t.post, t.post + t.postLen, 'terms shard ' + t.shard), n = t.df, nDocs = m.nDocs;
    var p = { doc: new Uint32Array(n), mask: new Uint8Array(n), weight: new Uint8Array(n) };
    var simple = new Uint8Array(n), tf = [0, 0, 0, 0, 0, 0], i, f;
    try {
      for (i = 0, doc = 0; i < n; i++) {
        var code = c.v(''), delta = Math.floor(code / 2), doc;
        if ((i && !delta) || delta > nDocs - doc || (doc += delta) >= nDocs) throw i;
        p.doc[i] = doc;
        simple[i] = code & 1;
      }
      for (i = 0; i < n; i++) {
        var d = m.docs[p.doc[i]];
        tf.fill(0);
        if (simple[i]) {
          p.mask[i] = 32;
          tf[5] = 1;
        } else {
          if (!(p.mask[i] = c.u8('')) || p.mask[i] >= 64) throw i;
          for (f = 0; f < 6; f++) if (p.mask[i] & 1 << f && (!(tf[f] = c.v('')) || tf[f] > 65535)) throw i;
        }
        if (p.mask[i] & ~d.mask) throw i;
        p.weight[i] = weight(m, d, p.mask[i], tf);
      }
      c.done();
    } catch (e) {
      fail(c.what, "the posting list of '" + t.s + "' is damaged");
    }
    return (t.p = p);
  }

  function text(b, i, m) {
    var c = open(b, 3, 'text shard ' + i), first = c.v('the first document'), n = c.v('the count'), out = [];
    var next = m.texts[i + 1] ? m.texts[i + 1].first : m.nDocs;
    if (first !== m.texts[i].first || n !== next - first) {
      fail(c.what, 'it does not hold the documents the meta block names');
    }
    for (var k = 0; k < n; k++) {
      var h = m.docs[first + k].heading, x = { text: c.str('a document'), extra: [] }, e = c.v('a document'), last = 0;
      if (x.text.slice(0, h.length + 1) !== h + '\n') fail(c.what, 'document ' + (first + k) + ' does not start with its heading');
      if (e > c.end - c.at) fail(c.what, 'document ' + (first + k) + ' runs past the end');
      while (e--) {
        var f = c.u8('a document');
        if ((f !== 1 && f !== 2 && f !== 4) || f < last) fail(c.what, 'document ' + (first + k) + ' has a bad field');
        x.extra.push([last = f, c.str('a document')]);
      }
      out.push(x);
    }
    c.done();
    return out;
  }

  var RUN = 16;   // shards per file (src/index_format.h INDEX_RUN)
  function place(m, name) {
    var list = name[0] === 't' ? m.shards : m.texts, i = Number(name.slice(2)), run = Math.floor(i / RUN);
    var at = 0, total = 0, file = String(run);
    for (var k = run * RUN; k < list.length && k < run * RUN + RUN; k++) {
      if (k < i) at += list[k].bytes;
      total += list[k].bytes;
    }
    while (file.length < 3) file = '0' + file;
    return { file: name[0] + '-b' + file, at: at, length: list[i].bytes, total: total };
  }

  return { meta: meta, terms: terms, postings: postings, weight: weight, text: text, crc32: crc32, place: place };
});
