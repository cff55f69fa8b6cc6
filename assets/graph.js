/* graph.js - the graph's only behaviour: hovering or focusing a note
 * highlights it, its neighbours and their links; on the graph page, the
 * wheel zooms, dragging pans, and +, - and reset buttons do the same. The
 * SVG is complete without it. */
(function () {
  'use strict';
  document.querySelectorAll('svg.kbc-graph').forEach(function (svg) {
    var nodes = {};
    svg.querySelectorAll('g.gn').forEach(function (g) { nodes[g.getAttribute('data-n')] = g; });
    var lines = svg.querySelectorAll('g.edges line');

    function highlight(g) {
      var id = g.getAttribute('data-n');
      var adj = {};
      (g.getAttribute('data-adj') || '').split(' ').forEach(function (a) { if (a) adj[a] = true; });
      svg.classList.add('focus');
      Object.keys(nodes).forEach(function (k) {
        nodes[k].classList.toggle('hl', k === id || adj[k] === true);
      });
      lines.forEach(function (l) {
        l.classList.toggle('hl', l.getAttribute('data-a') === id || l.getAttribute('data-b') === id);
      });
    }
    function clear() {
      svg.classList.remove('focus');
      svg.querySelectorAll('.hl').forEach(function (e) { e.classList.remove('hl'); });
    }
    svg.addEventListener('mouseover', function (e) {
      var g = e.target.closest && e.target.closest('g.gn');
      if (g) highlight(g);
    });
    svg.addEventListener('mouseleave', clear);
    svg.addEventListener('focusin', function (e) {
      var g = e.target.querySelector && e.target.querySelector('g.gn');
      if (g) highlight(g);
    });
    svg.addEventListener('focusout', clear);

    var frame = svg.closest('[data-pan-zoom]');
    if (!frame) return;
    var vb = svg.getAttribute('viewBox').split(/\s+/).map(Number);
    var home = vb.slice();
    function apply() { svg.setAttribute('viewBox', vb.map(function (v) { return v.toFixed(1); }).join(' ')); }
    function zoom(f, cx, cy) {
      var nw = Math.min(home[2] * 4, Math.max(home[2] / 8, vb[2] * f));
      f = nw / vb[2];
      vb[0] = cx - (cx - vb[0]) * f;
      vb[1] = cy - (cy - vb[1]) * f;
      vb[2] *= f;
      vb[3] *= f;
      apply();
    }
    function toSvg(ev) {
      var r = svg.getBoundingClientRect();
      return [vb[0] + (ev.clientX - r.left) / r.width * vb[2], vb[1] + (ev.clientY - r.top) / r.height * vb[3]];
    }
    svg.addEventListener('wheel', function (e) {
      e.preventDefault();
      var p = toSvg(e);
      zoom(e.deltaY > 0 ? 1.15 : 1 / 1.15, p[0], p[1]);
    }, { passive: false });
    var drag = null;
    svg.addEventListener('pointerdown', function (e) {
      if (e.target.closest('a')) return;
      drag = { x: e.clientX, y: e.clientY, vb: vb.slice() };
      svg.setPointerCapture(e.pointerId);
    });
    svg.addEventListener('pointermove', function (e) {
      if (!drag) return;
      var r = svg.getBoundingClientRect();
      vb[0] = drag.vb[0] - (e.clientX - drag.x) / r.width * vb[2];
      vb[1] = drag.vb[1] - (e.clientY - drag.y) / r.height * vb[3];
      apply();
    });
    svg.addEventListener('pointerup', function () { drag = null; });
    var bar = document.createElement('div');
    bar.className = 'graph-controls';
    [['+', 'Zoom in', function () { zoom(1 / 1.3, vb[0] + vb[2] / 2, vb[1] + vb[3] / 2); }],
     ['\u2212', 'Zoom out', function () { zoom(1.3, vb[0] + vb[2] / 2, vb[1] + vb[3] / 2); }],
     ['Reset', 'Reset the view', function () { vb = home.slice(); apply(); }]].forEach(function (b) {
      var el = document.createElement('button');
      el.type = 'button';
      el.textContent = b[0];
      el.setAttribute('aria-label', b[1]);
      el.addEventListener('click', b[2]);
      bar.appendChild(el);
    });
    frame.insertBefore(bar, frame.firstChild);
  });
})();
