/* kbc.js - small enhancements on top of pages that work without script:
 * the theme toggle, the table of contents that follows the scroll, the
 * sidebar as a menu on narrow screens, and copy buttons on code. */
(function () {
  'use strict';
  var root = document.documentElement;

  // Theme toggle: light <-> dark, starting from what is shown now.
  function currentTheme() {
    var t = root.getAttribute('data-theme');
    if (t) return t;
    return window.matchMedia && matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  }
  var toggle = document.querySelector('.theme-toggle');
  function label() {
    if (!toggle) return;
    var next = currentTheme() === 'dark' ? 'light' : 'dark';
    toggle.setAttribute('aria-label', 'Switch to ' + next + ' theme');
    toggle.setAttribute('title', 'Switch to ' + next + ' theme');
    toggle.textContent = currentTheme() === 'dark' ? '\u2600' : '\u263E';
  }
  if (toggle) {
    toggle.hidden = false;
    label();
    toggle.addEventListener('click', function () {
      var next = currentTheme() === 'dark' ? 'light' : 'dark';
      root.setAttribute('data-theme', next);
      try { localStorage.setItem('kbc-theme', next); } catch (e) { /* not kept */ }
      label();
    });
  }

  // Table of contents: mark the section being read.
  var toc = document.querySelector('.toc');
  if (toc && 'IntersectionObserver' in window) {
    var links = {};
    toc.querySelectorAll('a[href^="#"]').forEach(function (a) {
      links[decodeURIComponent(a.getAttribute('href').slice(1))] = a;
    });
    var visible = {};
    var order = [];
    document.querySelectorAll('main .content h2[id], main .content h3[id]').forEach(function (h) {
      if (links[h.id]) order.push(h.id);
    });
    var active = null;
    var io = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) { visible[e.target.id] = e.isIntersecting; });
      var id = null;
      for (var i = 0; i < order.length; i++) if (visible[order[i]]) { id = order[i]; break; }
      if (!id) {
        // Between headings: the last heading above the viewport.
        for (var k = order.length - 1; k >= 0; k--) {
          var el = document.getElementById(order[k]);
          if (el && el.getBoundingClientRect().top < 0) { id = order[k]; break; }
        }
      }
      if (id === active) return;
      if (active && links[active]) { links[active].classList.remove('active'); links[active].removeAttribute('aria-current'); }
      active = id;
      if (id && links[id]) { links[id].classList.add('active'); links[id].setAttribute('aria-current', 'location'); }
    }, { rootMargin: '0px 0px -70% 0px' });
    order.forEach(function (id) { io.observe(document.getElementById(id)); });
  }

  // Narrow screens: the reading order folds behind a Menu button.
  var sidebar = document.querySelector('.sidebar');
  var menu = document.querySelector('.menu-toggle');
  if (sidebar && menu) {
    menu.hidden = false;
    sidebar.id = sidebar.id || 'kbc-sidebar';
    menu.setAttribute('aria-controls', sidebar.id);
    menu.setAttribute('aria-expanded', 'false');
    sidebar.classList.add('collapsible');
    menu.addEventListener('click', function () {
      var open = sidebar.classList.toggle('open');
      menu.setAttribute('aria-expanded', open ? 'true' : 'false');
    });
  }

  // Copy buttons on code blocks.
  document.querySelectorAll('main pre > code').forEach(function (code) {
    var pre = code.parentNode;
    var b = document.createElement('button');
    b.type = 'button';
    b.className = 'copy';
    b.textContent = 'Copy';
    b.setAttribute('aria-label', 'Copy code to clipboard');
    b.addEventListener('click', function () {
      var text = code.textContent;
      function done(ok) {
        b.textContent = ok ? 'Copied' : 'Copy failed';
        setTimeout(function () { b.textContent = 'Copy'; }, 1500);
      }
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(fallback(text)); });
      } else {
        done(fallback(text));
      }
    });
    pre.classList.add('has-copy');
    pre.insertBefore(b, code);
  });
  function fallback(text) {
    var t = document.createElement('textarea');
    t.value = text;
    t.setAttribute('readonly', '');
    t.style.position = 'fixed';
    t.style.opacity = '0';
    document.body.appendChild(t);
    t.select();
    var ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    t.remove();
    return ok;
  }
})();
