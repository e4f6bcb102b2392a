// A line chart in SVG, written for the console: time axis in a chosen zone, several series, values
// on hover, zoom by dragging, pan by shift-dragging or the arrow keys. No library: the pieces that
// have rules (ticks, labels, time parsing) live in timeaxis.js where they are tested alone.

import { formatInstant, parseTimestamp, timeTicks } from "./timeaxis.js";

const SVG = "http://www.w3.org/2000/svg";
const MARGIN = { top: 12, right: 16, bottom: 30, left: 64 };
const PALETTE_SIZE = 8; // app.css defines .s0 ... .s7 for light and dark

function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (parent) parent.appendChild(node);
  return node;
}

/** Round numbers for the value axis: about `count` ticks covering [lo, hi]. */
export function valueTicks(lo, hi, count = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw);
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

export function formatValue(v) {
  if (v === null || v === undefined) return "–";
  if (Number.isInteger(v)) return v.toLocaleString("en-US");
  return Math.abs(v) >= 1e6 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(3).replace(/\.?0+$/, "");
}

function nearest(times, t) {
  let lo = 0;
  let hi = times.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (times[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo > 0 && t - times[lo - 1] < times[lo] - t ? lo - 1 : lo;
}

/**
 * Draw `datasets` (API DataSets) over the instants [start, end] in `zone` into `host` (an element
 * that holds only the chart). `on.zoom(start, end)` and `on.pan(fraction)` ask for a new range.
 * Returns the number of points drawn per series.
 */
export function drawChart(host, { datasets, start, end, zone }, on) {
  host.replaceChildren();
  const width = Math.max(host.clientWidth, 280);
  const height = Math.round(Math.min(Math.max(width * 0.45, 220), 440));
  const plot = { x: MARGIN.left, y: MARGIN.top, w: width - MARGIN.left - MARGIN.right, h: height - MARGIN.top - MARGIN.bottom };

  const series = datasets.map((d) => ({
    key: d.series.key,
    times: d.data.map((p) => parseTimestamp(p.t)),
    values: d.data.map((p) => p.v),
  }));
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) for (const v of s.values) if (v !== null) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (lo === Infinity) { lo = 0; hi = 1; }
  if (lo === hi) { lo -= 1; hi += 1; }
  const pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  const x = (t) => plot.x + ((t - start) / (end - start)) * plot.w;
  const y = (v) => plot.y + (1 - (v - lo) / (hi - lo)) * plot.h;
  const timeAt = (px) => start + ((px - plot.x) / plot.w) * (end - start);

  const svg = el("svg", {
    viewBox: `0 0 ${width} ${height}`, width, height, tabindex: 0, role: "img", class: "chart-svg",
    "aria-label": `Line chart of ${series.map((s) => s.key).join(", ")}. Drag to zoom, Shift+drag or arrow keys to pan, + and − to zoom.`,
  });
  const grid = el("g", { class: "grid" }, svg);
  for (const tick of timeTicks(start, end, zone, Math.max(3, Math.floor(plot.w / 110)))) {
    const px = x(tick.t);
    el("line", { x1: px, x2: px, y1: plot.y, y2: plot.y + plot.h }, grid);
    // Labels near an edge hang inward, so the first and last are never cut off.
    const anchor = px < plot.x + 40 ? "start" : px > plot.x + plot.w - 40 ? "end" : "middle";
    el("text", { x: px, y: height - 10, class: "axis-label", "text-anchor": anchor }, grid).textContent = tick.label;
  }
  for (const v of valueTicks(lo, hi, Math.max(2, Math.floor(plot.h / 50)))) {
    const py = y(v);
    el("line", { x1: plot.x, x2: plot.x + plot.w, y1: py, y2: py }, grid);
    el("text", { x: plot.x - 6, y: py + 4, class: "axis-label", "text-anchor": "end" }, grid).textContent = formatValue(v);
  }
  el("rect", { x: plot.x, y: plot.y, width: plot.w, height: plot.h, class: "frame" }, svg);

  const lines = el("g", { class: "lines" }, svg);
  series.forEach((s, i) => {
    const cls = `series s${i % PALETTE_SIZE}`;
    const coords = [];
    for (let j = 0; j < s.times.length; j++) {
      if (s.values[j] !== null) coords.push(`${x(s.times[j]).toFixed(1)},${y(s.values[j]).toFixed(1)}`);
    }
    el("polyline", { points: coords.join(" "), class: cls, "data-key": s.key }, lines);
    if (coords.length <= 60) for (const c of coords) { const [cx, cy] = c.split(","); el("circle", { cx, cy, r: 2.5, class: cls }, lines); }
  });

  const cursor = el("line", { y1: plot.y, y2: plot.y + plot.h, class: "cursor hidden" }, svg);
  const band = el("rect", { y: plot.y, height: plot.h, class: "zoom-band hidden" }, svg);
  const overlay = el("rect", { x: plot.x, y: plot.y, width: plot.w, height: plot.h, class: "overlay" }, svg);
  const tip = document.createElement("div");
  tip.className = "chart-tip hidden";
  tip.setAttribute("role", "status");
  host.append(svg, tip);

  function localX(event) {
    const box = svg.getBoundingClientRect();
    return Math.min(Math.max(((event.clientX - box.left) / box.width) * width, plot.x), plot.x + plot.w);
  }

  function showValuesAt(px) {
    const t = timeAt(px);
    const rows = [];
    let shown = null;
    series.forEach((s, i) => {
      if (!s.times.length) return;
      const j = nearest(s.times, t);
      shown ??= s.times[j];
      rows.push([i, s.key, s.values[j], s.times[j]]);
    });
    if (shown === null) return;
    const cx = x(shown);
    cursor.setAttribute("x1", cx);
    cursor.setAttribute("x2", cx);
    cursor.classList.remove("hidden");
    const head = document.createElement("div");
    head.className = "tip-time";
    head.textContent = formatInstant(shown, zone);
    tip.replaceChildren(head);
    for (const [i, key, v, t] of rows) {
      const row = document.createElement("div");
      const swatch = document.createElement("span");
      swatch.className = `swatch s${i % PALETTE_SIZE}`;
      row.append(swatch, `${key}: ${formatValue(v)}`);
      if (t !== shown) row.title = formatInstant(t, zone);
      tip.appendChild(row);
    }
    tip.classList.remove("hidden");
    // CSSOM writes are allowed under the CSP (only style attributes and elements are not).
    const leftHalf = cx < width / 2;
    tip.style.left = leftHalf ? `${(cx / width) * 100 + 1}%` : "";
    tip.style.right = leftHalf ? "" : `${(1 - cx / width) * 100 + 1}%`;
  }

  function hideValues() {
    cursor.classList.add("hidden");
    tip.classList.add("hidden");
  }

  let drag = null;
  overlay.addEventListener("pointerdown", (event) => {
    drag = { x0: localX(event), pan: event.shiftKey, start, end };
    overlay.setPointerCapture(event.pointerId);
  });
  overlay.addEventListener("pointermove", (event) => {
    const px = localX(event);
    if (!drag) return showValuesAt(px);
    if (drag.pan) return;
    band.setAttribute("x", Math.min(drag.x0, px));
    band.setAttribute("width", Math.abs(px - drag.x0));
    band.classList.remove("hidden");
  });
  overlay.addEventListener("pointerup", (event) => {
    if (!drag) return;
    const px = localX(event);
    const { x0, pan } = drag;
    drag = null;
    band.classList.add("hidden");
    if (Math.abs(px - x0) < 5) return;
    if (pan) on.pan((x0 - px) / plot.w);
    else on.zoom(Math.round(timeAt(Math.min(x0, px))), Math.round(timeAt(Math.max(x0, px))));
  });
  overlay.addEventListener("pointerleave", () => { if (!drag) hideValues(); });

  // Keyboard: arrows pan by a quarter, + / − zoom around the middle, Home/End walk the values.
  let keyX = null;
  svg.addEventListener("keydown", (event) => {
    const quarter = (end - start) / 4;
    if (event.key === "ArrowLeft" && !event.altKey) on.pan(-0.25);
    else if (event.key === "ArrowRight" && !event.altKey) on.pan(0.25);
    else if (event.key === "+" || event.key === "=") on.zoom(Math.round(start + quarter), Math.round(end - quarter));
    else if (event.key === "-" || event.key === "_") on.zoom(Math.round(start - 2 * quarter), Math.round(end + 2 * quarter));
    else if (event.key === "ArrowUp" || event.key === "ArrowDown") {
      keyX = Math.min(Math.max((keyX ?? plot.x + plot.w / 2) + (event.key === "ArrowUp" ? 1 : -1) * plot.w / 50, plot.x), plot.x + plot.w);
      showValuesAt(keyX);
    } else return;
    event.preventDefault();
  });
  svg.addEventListener("blur", hideValues);

  return series.map((s) => s.times.length);
}
