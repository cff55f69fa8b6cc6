/* theme.js - runs before the page paints: applies the reader's chosen
 * theme (kept in localStorage by kbc.js) so there is no flash of the
 * other one. Without a choice the system setting applies (CSS). */
(function () {
  try {
    var t = localStorage.getItem('kbc-theme');
    if (t === 'light' || t === 'dark') document.documentElement.setAttribute('data-theme', t);
  } catch (e) { /* storage disabled: follow the system */ }
})();
