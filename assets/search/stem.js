/* stem.js - the Snowball English ("Porter2") stemmer, for kbc's site search.
 *
 * kbcStem(word) -> stem. `word` is one lower-case word, case and diacritics
 * already folded the way the indexer does before stemming; the result is
 * exactly what libstemmer 2.2 (Debian's libstemmer0d, the C library kbc's
 * indexer uses) returns for it, so query terms meet index terms. A pure
 * function: no state, never throws for a string argument. Words of fewer
 * than 3 characters come back unchanged.
 * Algorithm: snowballstem.org, "The English (Porter2) stemming algorithm".
 * Limitation: positions count UTF-16 units, so a character outside the BMP
 * counts as two (libstemmer counts code points); the indexer never feeds one.
 *
 * Notation: s is the word being cut; p1, p2 are the starts of regions R1 and
 * R2 (a suffix is "in R1" when it starts at or after p1). 'Y' is a y that
 * acts as a consonant; it becomes 'y' again at the end. */
const kbcStem = (function () {
  'use strict';

  const VOWELS = 'aeiouy';
  function vowel(s, i) { return i >= 0 && i < s.length && VOWELS.includes(s[i]); }
  function consonant(s, i) { return i >= 0 && i < s.length && !VOWELS.includes(s[i]); }

  // Does s[0..i) end in a short syllable? Either consonant + vowel + consonant
  // other than w, x, Y; or vowel + consonant at the very start of the word.
  function shortSyllable(s, i) {
    return consonant(s, i - 1) && vowel(s, i - 2) &&
      ((consonant(s, i - 3) && !'wxY'.includes(s[i - 1])) || i === 2);
  }

  // Index just past the first consonant that follows a vowel at or after
  // `from`, or s.length if there is none.
  function pastVowelConsonant(s, from) {
    let i = from;
    while (i < s.length && !vowel(s, i)) i++;
    while (i < s.length && vowel(s, i)) i++;
    return i < s.length ? i + 1 : s.length;
  }

  // A regexp matching the longest of `suffixes` that ends a word: the
  // leftmost match that reaches the end is the longest one.
  function ending(suffixes) { return new RegExp('(?:' + suffixes.join('|') + ')$'); }

  // Whole words with a fixed stem, checked before anything else.
  const EXCEPTIONS = {
    skis: 'ski', skies: 'sky', dying: 'die', lying: 'lie', tying: 'tie',
    idly: 'idl', gently: 'gentl', ugly: 'ugli', early: 'earli', only: 'onli',
    singly: 'singl',
    sky: 'sky', news: 'news', howe: 'howe',
    atlas: 'atlas', cosmos: 'cosmos', bias: 'bias', andes: 'andes'
  };
  // Words left as they are once step 1a is done.
  const INVARIANT = new Set(['inning', 'outing', 'canning', 'herring', 'earring',
    'proceed', 'exceed', 'succeed']);

  const STEP2 = {
    tional: 'tion', enci: 'ence', anci: 'ance', abli: 'able', entli: 'ent',
    izer: 'ize', ization: 'ize', ational: 'ate', ation: 'ate', ator: 'ate',
    alism: 'al', aliti: 'al', alli: 'al', fulness: 'ful', ousli: 'ous',
    ousness: 'ous', iveness: 'ive', iviti: 'ive', biliti: 'ble', bli: 'ble',
    ogi: 'og', fulli: 'ful', lessli: 'less', li: ''
  };
  const STEP3 = {
    tional: 'tion', ational: 'ate', alize: 'al', icate: 'ic', iciti: 'ic',
    ical: 'ic', ful: '', ness: '', ative: ''
  };
  const STEP2_RE = ending(Object.keys(STEP2));
  const STEP3_RE = ending(Object.keys(STEP3));
  const STEP4_RE = ending(['al', 'ance', 'ence', 'er', 'ic', 'able', 'ible', 'ant',
    'ement', 'ment', 'ent', 'ism', 'ate', 'iti', 'ous', 'ive', 'ize', 'ion']);
  const STEP1B_RE = ending(['eed', 'eedly', 'ed', 'edly', 'ing', 'ingly']);
  const VALID_LI = 'cdeghkmnrt';

  function kbcStem(word) {
    if (Object.prototype.hasOwnProperty.call(EXCEPTIONS, word)) return EXCEPTIONS[word];
    if (word.length < 3) return word;

    // Prelude: drop one leading apostrophe; mark as consonants ('Y') an
    // initial y and every y that follows a vowel (left to right).
    let s = word[0] === "'" ? word.slice(1) : word;
    let marked = '';
    for (let i = 0; i < s.length; i++) {
      const yc = s[i] === 'y' && (i === 0 || VOWELS.includes(marked[i - 1]));
      marked += yc ? 'Y' : s[i];
    }
    s = marked;

    // Regions: R1 starts after the first consonant that follows a vowel (or
    // after a gener/commun/arsen prefix); R2 is the same rule applied in R1.
    const prefix = /^(?:gener|commun|arsen)/.exec(s);
    const p1 = prefix ? prefix[0].length : pastVowelConsonant(s, 0);
    const p2 = pastVowelConsonant(s, p1);
    let m;

    // Step 1a: drop a trailing ', 's or 's'; then plurals: sses -> ss;
    // ied/ies -> i after 2+ letters, else ie; s -> '' when a vowel comes
    // before the letter ahead of it; us and ss stay.
    s = s.replace(/'(?:s'?)?$/, '');
    if (s.endsWith('sses')) s = s.slice(0, -2);
    else if (/ie[ds]$/.test(s)) s = s.slice(0, s.length > 4 ? -2 : -1);
    else if (s.endsWith('s') && !/(?:us|ss)$/.test(s) && /[aeiouy]/.test(s.slice(0, -2))) {
      s = s.slice(0, -1);
    }

    if (!INVARIANT.has(s)) {
      // Step 1b: eed(ly) -> ee in R1; ed(ly)/ing(ly) -> '' if a vowel comes
      // before, then add e after at/bl/iz, undouble bb..tt, or add e to a
      // short word (R1 empty, ends in a short syllable).
      if ((m = STEP1B_RE.exec(s))) {
        const i = m.index;
        if (m[0].startsWith('ee')) {
          if (i >= p1) s = s.slice(0, i) + 'ee';
        } else if (/[aeiouy]/.test(s.slice(0, i))) {
          s = s.slice(0, i);
          if (/(?:at|bl|iz)$/.test(s)) s += 'e';
          else if (/(?:bb|dd|ff|gg|mm|nn|pp|rr|tt)$/.test(s)) s = s.slice(0, -1);
          else if (s.length === p1 && shortSyllable(s, s.length)) s += 'e';
        }
      }

      // Step 1c: final y or Y -> i after a consonant that is not the first letter.
      if (/[yY]$/.test(s) && s.length > 2 && consonant(s, s.length - 2)) {
        s = s.slice(0, -1) + 'i';
      }

      // Step 2: the longest suffix of the table, if in R1; ogi only after l,
      // li only after a valid li-ending.
      if ((m = STEP2_RE.exec(s)) && m.index >= p1) {
        const before = s[m.index - 1];
        if ((m[0] !== 'ogi' || before === 'l') && (m[0] !== 'li' || VALID_LI.includes(before))) {
          s = s.slice(0, m.index) + STEP2[m[0]];
        }
      }

      // Step 3: the longest suffix of the table, if in R1; ative only in R2.
      if ((m = STEP3_RE.exec(s)) && m.index >= p1 && (m[0] !== 'ative' || m.index >= p2)) {
        s = s.slice(0, m.index) + STEP3[m[0]];
      }

      // Step 4: delete the longest suffix of the list if in R2; ion only
      // after s or t.
      if ((m = STEP4_RE.exec(s)) && m.index >= p2) {
        const before = s[m.index - 1];
        if (m[0] !== 'ion' || before === 's' || before === 't') s = s.slice(0, m.index);
      }

      // Step 5: final e goes if in R2, or in R1 and not after a short
      // syllable; final l goes if in R2 and after another l.
      const last = s.length - 1;
      if (s[last] === 'e') {
        if (last >= p2 || (last >= p1 && !shortSyllable(s, last))) s = s.slice(0, -1);
      } else if (s[last] === 'l') {
        if (last >= p2 && s[last - 1] === 'l') s = s.slice(0, -1);
      }
    }

    // Postlude: consonant Y back to y.
    return s.replace(/Y/g, 'y');
  }

  return kbcStem;
})();

if (typeof self !== 'undefined') self.kbcStem = kbcStem;

if (typeof module !== 'undefined') module.exports = { kbcStem };
