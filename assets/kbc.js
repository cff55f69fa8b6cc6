/* kbc.js - small progressive enhancements; every page works without it. */
(function () {
  'use strict';
  // Theme: follows the system unless the reader picked one (kept in localStorage).
  var root = document.documentElement;
  var stored = null;
  try { stored = localStorage.getItem('kbc-theme'); } catch (e) { /* storage may be off */ }
  if (stored === 'light' || stored === 'dark') root.setAttribute('data-theme', stored);
})();
