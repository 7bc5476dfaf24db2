// Canvas choropleth for Streamlit (components v1 protocol, no dependency, no network but this origin).
// Geometry: pre-projected, quantised, delta-encoded rings, fetched once per level and cached by the
// browser. Each render only brings values, classes and colours aligned with the geometry's codes.
"use strict";

const canvas = document.getElementById("map");
const ctx = canvas.getContext("2d");
const pick = document.createElement("canvas");
const pctx = pick.getContext("2d", { willReadFrequently: true });
const tip = document.getElementById("tip");
const statusEl = document.getElementById("status");
const geometries = {};   // url -> Promise<{codes, names, paths, boxes, frame}>
let geom = null;         // current geometry
let args = null;         // current render arguments
let view = null;         // {scale, tx, ty}: grid units -> CSS pixels
let pickDirty = true;
let drawn = 0;
const fmt = {};

function send(type, extra) {
  window.parent.postMessage(Object.assign({ isStreamlitMessage: true, type: type }, extra), "*");
}

function numberFormat(decimals) {
  if (!fmt[decimals]) fmt[decimals] = new Intl.NumberFormat("fr-FR", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  return fmt[decimals];
}

function decode(doc) {
  const paths = [], boxes = [];
  for (const rings of doc.features) {
    const p = new Path2D();
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const r of rings) {
      let x = 0, y = 0;
      for (let i = 0; i < r.length; i += 2) {
        x += r[i]; y += r[i + 1];
        if (i === 0) p.moveTo(x, y); else p.lineTo(x, y);
        if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
      }
      p.closePath();
    }
    paths.push(p);
    boxes.push([x0, y0, x1, y1]);
  }
  const index = {};
  doc.codes.forEach((c, i) => { index[c] = i; });
  return { codes: doc.codes, names: doc.names, paths: paths, boxes: boxes, index: index };
}

function load(url) {
  if (!geometries[url]) {
    geometries[url] = fetch(url, { cache: "force-cache" }).then(r => {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    }).then(decode).catch(err => { delete geometries[url]; throw err; });  // a failure is retried next time
  }
  return geometries[url];
}

function visibleIndices() {
  if (args.visible) return args.visible;
  return geom.codes.map((_, i) => i);
}

function fit() {
  const idx = visibleIndices();
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const i of idx) {
    const b = geom.boxes[i];
    if (b[0] < x0) x0 = b[0]; if (b[1] < y0) y0 = b[1]; if (b[2] > x1) x1 = b[2]; if (b[3] > y1) y1 = b[3];
  }
  const w = canvas.clientWidth, h = args.height, pad = 12;
  if (!idx.length || !isFinite(x0)) { view = { scale: 1, tx: 0, ty: 0 }; return false; }
  // One point, or a shape smaller than a grid step: a minimum extent instead of a division by zero.
  const dx = Math.max(x1 - x0, 40), dy = Math.max(y1 - y0, 40);
  x0 -= (dx - (x1 - x0)) / 2; y0 -= (dy - (y1 - y0)) / 2; x1 = x0 + dx; y1 = y0 + dy;
  const scale = Math.min((w - 2 * pad) / (x1 - x0), (h - 2 * pad) / (y1 - y0));
  view = { scale: scale, tx: (w - (x1 - x0) * scale) / 2 - x0 * scale, ty: (h - (y1 - y0) * scale) / 2 - y0 * scale };
  return true;
}

// Drags and zooms redraw once per frame, not once per mouse event.
let frameRequested = false;
function redraw() {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(() => { frameRequested = false; draw(); });
}

function zoomAt(x, y, k) {
  view.tx = x - (x - view.tx) * k; view.ty = y - (y - view.ty) * k; view.scale *= k;
  redraw();
}

function resize() {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = args.height;
  canvas.style.height = h + "px";
  canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
  pick.width = w; pick.height = h;
}

function draw() {
  const t0 = performance.now();
  const dpr = window.devicePixelRatio || 1;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.setTransform(dpr * view.scale, 0, 0, dpr * view.scale, dpr * view.tx, dpr * view.ty);
  const idx = visibleIndices();
  const palette = args.palette, classes = args.classes;
  // Few shapes, or zoomed in: thin white borders; a national commune map without them reads better.
  const borders = idx.length < 4000 || view.scale > 0.25;
  ctx.lineJoin = "round";
  ctx.lineWidth = 0.6 / view.scale;
  ctx.strokeStyle = "#ffffff";
  drawn = 0;
  for (const i of idx) {
    const c = classes[i];
    ctx.fillStyle = c >= 0 ? palette[c] : args.missing_colour;
    ctx.fill(geom.paths[i]);
    if (borders) ctx.stroke(geom.paths[i]);
    drawn++;
  }
  if (args.small && args.small.length) {
    // Values resting on a small count (the catalog's rule) are hatched: readable, but marked fragile.
    ctx.fillStyle = hatch(dpr);
    for (const i of args.small) ctx.fill(geom.paths[i]);
  }
  if (args.outline && args.outline.length) {
    ctx.lineWidth = 2.2 / view.scale;
    ctx.strokeStyle = "#111111";
    for (const i of args.outline) ctx.stroke(geom.paths[i]);
  }
  if (args.selected >= 0) {
    ctx.lineWidth = 3 / view.scale;
    ctx.strokeStyle = "#CC79A7";
    ctx.stroke(geom.paths[args.selected]);
  }
  pickDirty = true;
  window.__map.lastDrawMs = performance.now() - t0;
  statusEl.textContent = "";
}

let hatchTile = null;
function hatch(dpr) {
  if (!hatchTile) {
    hatchTile = document.createElement("canvas");
    hatchTile.width = hatchTile.height = 6;
    const h = hatchTile.getContext("2d");
    h.strokeStyle = "rgba(0,0,0,0.55)";
    h.lineWidth = 1;
    h.beginPath(); h.moveTo(0, 6); h.lineTo(6, 0); h.stroke();
  }
  const p = ctx.createPattern(hatchTile, "repeat");
  // The pattern lives in screen pixels whatever the zoom.
  p.setTransform(new DOMMatrix().scale(1 / view.scale, 1 / view.scale));
  return p;
}

function drawPick() {
  pctx.setTransform(1, 0, 0, 1, 0, 0);
  pctx.clearRect(0, 0, pick.width, pick.height);
  pctx.setTransform(view.scale, 0, 0, view.scale, view.tx, view.ty);
  for (const i of visibleIndices()) {
    const id = i + 1;
    pctx.fillStyle = "rgb(" + (id & 255) + "," + ((id >> 8) & 255) + "," + ((id >> 16) & 255) + ")";
    pctx.fill(geom.paths[i]);
  }
  pickDirty = false;
}

function featureAt(x, y) {
  if (pickDirty) drawPick();
  const d = pctx.getImageData(Math.floor(x), Math.floor(y), 1, 1).data;
  if (d[3] !== 255) return -1;
  const i = d[0] + (d[1] << 8) + (d[2] << 16) - 1;
  if (i < 0 || i >= geom.paths.length) return -1;
  // Anti-aliased edges mix colours: confirm with the real shape.
  pctx.setTransform(view.scale, 0, 0, view.scale, view.tx, view.ty);
  return pctx.isPointInPath(geom.paths[i], x, y) ? i : -1;
}

function label(i) {
  const v = args.values[i];
  const value = v === null || v === undefined ? "donnée non disponible" : numberFormat(args.decimals).format(v) + " " + args.unit;
  return "<b>" + escapeHtml(geom.names[i]) + "</b><br>" + escapeHtml(value);
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

let drag = null;
canvas.addEventListener("mousemove", e => {
  if (!geom) return;
  const r = canvas.getBoundingClientRect(), x = e.clientX - r.left, y = e.clientY - r.top;
  if (drag) {
    view.tx = drag.tx + (x - drag.x); view.ty = drag.ty + (y - drag.y); drag.moved = true;
    redraw(); return;
  }
  const i = featureAt(x, y);
  if (i < 0) { tip.style.display = "none"; return; }
  tip.innerHTML = label(i);
  tip.style.display = "block";
  tip.style.left = Math.min(x + 14, canvas.clientWidth - tip.offsetWidth - 4) + "px";
  tip.style.top = (y + 14) + "px";
});
canvas.addEventListener("mouseleave", () => { tip.style.display = "none"; });
canvas.addEventListener("mousedown", e => {
  const r = canvas.getBoundingClientRect();
  drag = { x: e.clientX - r.left, y: e.clientY - r.top, tx: view.tx, ty: view.ty, moved: false };
  canvas.classList.add("dragging");
});
window.addEventListener("mouseup", e => {
  if (!drag) return;
  const moved = drag.moved;
  drag = null;
  canvas.classList.remove("dragging");
  if (moved || !geom) return;
  const r = canvas.getBoundingClientRect();
  const i = featureAt(e.clientX - r.left, e.clientY - r.top);
  if (i >= 0) {
    args.selected = i; draw();
    send("streamlit:setComponentValue", { value: { code: geom.codes[i], at: Date.now() }, dataType: "json" });
  }
});
// The wheel scrolls the page, as on common web maps, unless Ctrl/⌘ is held or the map was clicked.
let engaged = false;
canvas.addEventListener("mousedown", () => { engaged = true; });
canvas.addEventListener("mouseleave", () => { engaged = false; });
canvas.addEventListener("wheel", e => {
  if (!view || !(engaged || e.ctrlKey || e.metaKey)) {
    if (view) { statusEl.textContent = "Ctrl (ou ⌘) + molette pour zoomer, ou cliquez d'abord dans la carte."; }
    return;
  }
  e.preventDefault();
  statusEl.textContent = "";
  const r = canvas.getBoundingClientRect();
  zoomAt(e.clientX - r.left, e.clientY - r.top, Math.exp(-e.deltaY * 0.0015));
}, { passive: false });
canvas.addEventListener("keydown", e => {
  if (!view || !geom) return;
  const step = 40, w = canvas.clientWidth / 2, h = args.height / 2;
  const moves = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
  if (moves[e.key]) { view.tx += moves[e.key][0]; view.ty += moves[e.key][1]; redraw(); }
  else if (e.key === "+" || e.key === "=") zoomAt(w, h, 1.25);
  else if (e.key === "-" || e.key === "−") zoomAt(w, h, 0.8);
  else if (e.key === "0") { fit(); draw(); }
  else return;
  e.preventDefault();
});
document.getElementById("reset").addEventListener("click", () => { if (geom) { fit(); draw(); } });

// For tests and benchmarks: where a territory is drawn, and how long drawing took.
window.__map = {
  lastDrawMs: null,
  ready: false,
  drawn: () => drawn,
  outlined: () => (args && geom ? (args.outline || []).map(i => geom.codes[i]) : []),
  locate: code => {
    const i = geom ? geom.index[code] : undefined;
    if (i === undefined) return null;
    const b = geom.boxes[i];
    // Search the box for a point inside the shape (the box centre may fall outside).
    pctx.setTransform(view.scale, 0, 0, view.scale, view.tx, view.ty);
    for (let s = 0; s < 400; s++) {
      const fx = 0.5 + 0.45 * Math.cos(s * 2.39996) * Math.sqrt(s / 400);
      const fy = 0.5 + 0.45 * Math.sin(s * 2.39996) * Math.sqrt(s / 400);
      const gx = b[0] + fx * (b[2] - b[0]), gy = b[1] + fy * (b[3] - b[1]);
      const px = gx * view.scale + view.tx, py = gy * view.scale + view.ty;
      if (pctx.isPointInPath(geom.paths[i], px, py)) return [px, py];
    }
    return null;
  },
};

let renderSeq = 0;
window.addEventListener("message", async ev => {
  if (ev.source !== window.parent) return;  // only the app that hosts this frame may drive it
  const msg = ev.data;
  if (!msg || msg.type !== "streamlit:render") return;
  const seq = ++renderSeq;
  const next = msg.args;
  const sameFrame = args && geom && args.geometry_url === next.geometry_url && args.view_key === next.view_key;
  args = next;
  send("streamlit:setFrameHeight", { height: args.height + 4 });
  try {
    const g = await load(args.geometry_url);
    if (seq !== renderSeq) return;
    geom = g;
  } catch (err) {
    statusEl.textContent = "Contours indisponibles (" + err.message + ") : reconstruisez la base (make data).";
    return;
  }
  resize();
  if ((!sameFrame || !view) && !fit()) {
    ctx.setTransform(1, 0, 0, 1, 0, 0); ctx.clearRect(0, 0, canvas.width, canvas.height);
    statusEl.textContent = "Aucun territoire à dessiner dans cette emprise.";
    window.__map.ready = true;
    return;
  }
  draw();
  window.__map.ready = true;
});

window.addEventListener("resize", () => { if (geom && args) { resize(); fit(); draw(); } });
send("streamlit:componentReady", { apiVersion: 1 });
