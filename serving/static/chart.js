// Tiny offline SVG charts: a demand line with forecast band, and a warehouse scatter "map".
"use strict";
const OSChart = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const W = 640, H = 260, PAD = { l: 44, r: 12, t: 12, b: 28 };

  function el(name, attrs, parent) {
    const node = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (parent) parent.appendChild(node);
    return node;
  }

  function svgIn(container, w, h) {
    container.innerHTML = "";
    return el("svg", { viewBox: `0 0 ${w} ${h}`, width: "100%", role: "img" }, container);
  }

  function path(points) {
    return points.map((p, i) => (i ? "L" : "M") + p[0].toFixed(1) + "," + p[1].toFixed(1)).join("");
  }

  // series: {history: [{date, qty}], forecast: [{date, q10, q50, q90}]}
  function band(container, series) {
    const hist = series.history || [];
    const fc = series.forecast || [];
    const dates = hist.map((d) => d.date).concat(fc.map((d) => d.date));
    if (!dates.length) { container.innerHTML = '<p class="muted">No history or forecast stored for this move.</p>'; return; }
    const svg = svgIn(container, W, H);
    const t = (d) => Date.parse(d);
    const x0 = t(dates[0]), x1 = Math.max(t(dates[dates.length - 1]), x0 + 1);
    const ymax = Math.max(1, ...hist.map((d) => d.qty), ...fc.map((d) => d.q90 == null ? d.q50 : d.q90)) * 1.08;
    const X = (d) => PAD.l + (t(d) - x0) / (x1 - x0) * (W - PAD.l - PAD.r);
    const Y = (v) => H - PAD.b - v / ymax * (H - PAD.t - PAD.b);
    for (let i = 0; i <= 4; i++) {
      const v = ymax * i / 4;
      el("line", { x1: PAD.l, x2: W - PAD.r, y1: Y(v), y2: Y(v), class: "grid-line" }, svg);
      el("text", { x: PAD.l - 6, y: Y(v) + 4, class: "axis", "text-anchor": "end" }, svg).textContent = Math.round(v);
    }
    for (const d of [dates[0], fc.length ? fc[0].date : null, dates[dates.length - 1]]) {
      if (!d) continue;
      el("text", { x: X(d), y: H - 8, class: "axis", "text-anchor": "middle" }, svg).textContent = d.slice(5, 10);
    }
    if (fc.length) {
      el("line", { x1: X(fc[0].date), x2: X(fc[0].date), y1: PAD.t, y2: H - PAD.b, class: "today" }, svg);
      const upper = fc.map((d) => [X(d.date), Y(d.q90 == null ? d.q50 : d.q90)]);
      const lower = fc.map((d) => [X(d.date), Y(d.q10 == null ? d.q50 : d.q10)]).reverse();
      el("path", { d: path(upper.concat(lower)) + "Z", class: "band" }, svg);
      el("path", { d: path(fc.map((d) => [X(d.date), Y(d.q50)])), class: "median" }, svg);
    }
    if (hist.length) el("path", { d: path(hist.map((d) => [X(d.date), Y(d.qty)])), class: "history" }, svg);
  }

  // points: [{id, label, lon, lat, now, after}]; circle area tracks units, colour the change.
  // moves: [{from, to, qty}] drawn as lines between the warehouses, width by quantity.
  function scatter(container, points, moves) {
    const pts = points.filter((p) => p.lon != null && p.lat != null);
    if (!pts.length) { container.innerHTML = '<p class="muted">No warehouse coordinates loaded.</p>'; return; }
    const w = 520, h = 360, pad = 40;
    const svg = svgIn(container, w, h);
    const lons = pts.map((p) => p.lon), lats = pts.map((p) => p.lat);
    const lo = [Math.min(...lons) - 1, Math.max(...lons) + 1], la = [Math.min(...lats) - 1, Math.max(...lats) + 1];
    const k = Math.min((w - 2 * pad) / (lo[1] - lo[0]), (h - 2 * pad) / (la[1] - la[0]));
    const X = (v) => w / 2 + (v - (lo[0] + lo[1]) / 2) * k;
    const Y = (v) => h / 2 - (v - (la[0] + la[1]) / 2) * k;
    for (let lon = Math.ceil(lo[0] / 5) * 5; lon <= lo[1]; lon += 5) {
      el("line", { x1: X(lon), x2: X(lon), y1: 0, y2: h, class: "grid-line" }, svg);
      el("text", { x: X(lon) + 3, y: h - 6, class: "axis" }, svg).textContent = lon + "°E";
    }
    for (let lat = Math.ceil(la[0] / 5) * 5; lat <= la[1]; lat += 5) {
      el("line", { x1: 0, x2: w, y1: Y(lat), y2: Y(lat), class: "grid-line" }, svg);
      el("text", { x: 4, y: Y(lat) - 3, class: "axis" }, svg).textContent = lat + "°N";
    }
    const top = Math.max(1, ...pts.map((p) => Math.max(p.now, p.after)));
    const R = (v) => 4 + 22 * Math.sqrt(Math.max(0, v) / top);
    const at = Object.fromEntries(pts.map((p) => [p.id, p]));
    const most = Math.max(1, ...(moves || []).map((m) => m.qty));
    for (const m of moves || []) {
      const a = at[m.from], b = at[m.to];
      if (!a || !b) continue;
      el("line", { x1: X(a.lon), y1: Y(a.lat), x2: X(b.lon), y2: Y(b.lat), class: "move",
        "stroke-width": (1 + 4 * m.qty / most).toFixed(1) }, svg);
    }
    for (const p of pts) {
      const g = el("g", { class: "wh-point", "data-id": p.id }, svg);
      el("circle", { cx: X(p.lon), cy: Y(p.lat), r: R(p.now), class: "now" }, g);
      const change = p.after > p.now ? "gain" : p.after < p.now ? "loss" : "same";
      el("circle", { cx: X(p.lon), cy: Y(p.lat), r: R(p.after), class: "after " + change }, g);
      el("text", { x: X(p.lon), y: Y(p.lat) - R(Math.max(p.now, p.after)) - 4, class: "label", "text-anchor": "middle" }, g)
        .textContent = p.label;
      el("title", {}, g).textContent = `${p.label}: ${p.now} → ${p.after} units`;
    }
  }

  return { band, scatter };
})();
