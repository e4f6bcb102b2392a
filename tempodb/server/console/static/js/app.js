// The console's views and their wiring: sign in, the series list and editor, the chart and its
// controls. Rules with a law live in the pure modules (rollup, timeaxis, state, csv); this file
// only moves values between them, the API and the page.

import { Api, ApiError, forgetCredentials, loadCredentials, saveCredentials } from "./api.js";
import { drawChart, formatValue } from "./chart.js";
import { csvFileName, toCsv } from "./csv.js";
import { chooseInterval, FUNCTIONS, INTERVALS } from "./rollup.js";
import { decodeView, defaultView, encodeView, PRESETS } from "./state.js";
import { instantOf, isZone, parseWall, wallClock, wallText } from "./timeaxis.js";

const PAGE_SIZE = 50;
const $ = (id) => document.getElementById(id);
const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";

let api = null;
let allSeries = [];
let page = 0;
let view = decodeView(location.hash, defaultView(browserZone), isZone);
let shown = null; // what the chart shows: {datasets, keys, start, end} for the CSV export
let drawToken = 0;

function status(id, text, kind = "") {
  const node = $(id);
  node.textContent = text;
  node.className = `status ${kind}`;
}

function messageOf(error) {
  return error instanceof ApiError ? error.message : `Something went wrong in the console: ${error.message}`;
}

// --- sign in / out ------------------------------------------------------------------------------

function showSignedIn(signedIn) {
  $("sign-in-view").classList.toggle("hidden", signedIn);
  $("main-view").classList.toggle("hidden", !signedIn);
  $("sign-out").classList.toggle("hidden", !signedIn);
  $("who").textContent = signedIn ? `key ${api.key}` : "";
}

async function signIn(event) {
  event.preventDefault();
  const key = $("key").value;
  const secret = $("secret").value;
  if (!key || key.includes(":")) {
    status("sign-in-error", "Give the API key: not empty, and without ':' (HTTP Basic cannot carry one).", "error");
    return;
  }
  const candidate = new Api(key, secret);
  status("sign-in-error", "Signing in…");
  try {
    allSeries = await candidate.listSeries();
  } catch (error) {
    const words = error instanceof ApiError && error.status === 403
      ? "Wrong key or secret: the server refused them (403). Check both and try again."
      : messageOf(error);
    status("sign-in-error", words, "error");
    return;
  }
  $("secret").value = "";
  status("sign-in-error", "");
  saveCredentials(key, secret);
  api = candidate;
  showSignedIn(true);
  page = 0;
  renderSeries();
  applyView();
}

function signOut() {
  forgetCredentials();
  api = null;
  allSeries = [];
  shown = null;
  drawToken++;
  $("series-list").replaceChildren();
  $("chart").replaceChildren();
  chartState("idle", "");
  $("legend").replaceChildren();
  $("summary").tBodies[0].replaceChildren();
  $("edit-panel").classList.add("hidden");
  for (const id of ["series-status", "chart-status", "edit-status"]) status(id, "");
  showSignedIn(false);
  $("key").focus();
}

// --- series list and editor ---------------------------------------------------------------------

function splitList(text) {
  return text.split(",").map((s) => s.trim()).filter(Boolean);
}

/** "a=1, b=2" or one pair a line -> [[name, value]]; throws with the pair that is not name=value. */
function parsePairs(text) {
  return text.split(/[,\n]/).map((s) => s.trim()).filter(Boolean).map((pair) => {
    const at = pair.indexOf("=");
    if (at < 1) throw new Error(`"${pair}" is not name=value`);
    return [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
  });
}

async function loadSeries(event) {
  event?.preventDefault();
  let attrs;
  try {
    attrs = parsePairs($("filter-attrs").value);
  } catch (error) {
    status("series-status", `Attributes: ${error.message}.`, "error");
    return;
  }
  status("series-status", "Loading series…");
  try {
    allSeries = await api.listSeries(splitList($("filter-tags").value), attrs);
  } catch (error) {
    status("series-status", messageOf(error), "error");
    return;
  }
  page = 0;
  renderSeries();
}

function matchingSeries() {
  const needle = $("filter-key").value.trim().toLowerCase();
  return needle ? allSeries.filter((s) => s.key.toLowerCase().includes(needle)) : allSeries;
}

function renderSeries() {
  const matching = matchingSeries();
  const pages = Math.max(1, Math.ceil(matching.length / PAGE_SIZE));
  page = Math.min(page, pages - 1);
  const items = matching.slice(page * PAGE_SIZE, (page + 1) * PAGE_SIZE).map((series) => {
    const li = document.createElement("li");
    li.dataset.key = series.key;
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.checked = view.series.includes(series.key);
    box.addEventListener("change", () => toggleSeries(series.key, box.checked));
    const text = document.createElement("span");
    text.textContent = series.name ? `${series.key} (${series.name})` : series.key;
    label.append(box, text);
    if (series.tags.length) {
      const tags = document.createElement("span");
      tags.className = "tags";
      tags.textContent = series.tags.join(", ");
      label.append(tags);
    }
    const edit = document.createElement("button");
    edit.type = "button";
    edit.textContent = "Edit";
    edit.setAttribute("aria-label", `Edit ${series.key}`);
    edit.addEventListener("click", () => openEditor(series));
    li.append(label, edit);
    return li;
  });
  $("series-list").replaceChildren(...items);
  $("series-list").dataset.count = String(matching.length);
  const first = matching.length ? page * PAGE_SIZE + 1 : 0;
  $("page-info").textContent = `${first}–${page * PAGE_SIZE + items.length} of ${matching.length}`;
  $("page-prev").disabled = page === 0;
  $("page-next").disabled = page >= pages - 1;
  if (!allSeries.length) {
    status("series-status", "No series here. (In open mode a key nobody used before starts an empty database: check the key.)");
  } else {
    status("series-status", `${allSeries.length.toLocaleString("en-US")} series; ${matching.length.toLocaleString("en-US")} match.`);
  }
}

function toggleSeries(key, on) {
  const keys = view.series.filter((k) => k !== key);
  if (on) keys.push(key);
  // Edits in the controls not yet shown go along, rather than being reset by the redraw.
  let base = view;
  try {
    base = viewFromControls();
  } catch {
    // half-typed controls: keep the view as it is
  }
  setView({ ...base, series: keys });
}

let editing = null;

function openEditor(series) {
  editing = series;
  $("edit-id").textContent = series.id;
  $("edit-key").textContent = series.key;
  $("edit-name").value = series.name;
  $("edit-tags").value = series.tags.join(", ");
  $("edit-attrs").value = Object.entries(series.attributes).map(([n, v]) => `${n}=${v}`).join("\n");
  status("edit-status", "");
  $("edit-panel").classList.remove("hidden");
  $("edit-name").focus();
}

async function saveEditor(event) {
  event.preventDefault();
  let attributes;
  try {
    attributes = Object.fromEntries(parsePairs($("edit-attrs").value));
  } catch (error) {
    status("edit-status", `Attributes: ${error.message}.`, "error");
    return;
  }
  const body = { id: editing.id, key: editing.key, name: $("edit-name").value, tags: splitList($("edit-tags").value), attributes };
  status("edit-status", "Saving…");
  try {
    const saved = await api.updateSeries(body);
    allSeries = allSeries.map((s) => (s.id === saved.id ? saved : s));
    editing = saved;
    renderSeries();
    status("edit-status", "Saved.", "ok");
  } catch (error) {
    status("edit-status", messageOf(error), "error");
  }
}

// --- the view: controls <-> URL hash <-> chart ---------------------------------------------------

/** The range as the API takes it ({start, end} query text) and as instants ({startMs, endMs}). */
function rangeOf(v) {
  if (v.range === "custom") {
    const startMs = instantOf(parseWall(v.start), v.tz);
    const endMs = instantOf(parseWall(v.end), v.tz);
    // Naive times: the API reads them in the request's tz (docs/protocol.md §3.2).
    return { start: v.start, end: v.end, startMs, endMs };
  }
  const endMs = Date.now();
  const startMs = endMs - PRESETS[v.range];
  return { start: new Date(startMs).toISOString(), end: new Date(endMs).toISOString(), startMs, endMs };
}

function customView(startMs, endMs) {
  const wall = (t) => wallText(wallClock(t, view.tz));
  return { ...view, range: "custom", start: wall(startMs), end: wall(Math.max(endMs, startMs + 1000)) };
}

function setView(next) {
  const hash = encodeView(next);
  if (location.hash.slice(1) === hash) applyView();
  else location.hash = hash; // hashchange applies it: one path for links, back/forward and controls
}

function syncControls() {
  $("range").value = view.range;
  $("view").classList.toggle("custom-range", view.range === "custom");
  const r = rangeOf(view);
  $("start").value = wallText(wallClock(r.startMs, view.tz));
  $("end").value = wallText(wallClock(r.endMs, view.tz));
  $("interval").value = view.interval;
  $("fn").value = view.fn;
  $("tz").value = view.tz;
  for (const box of $("series-list").querySelectorAll("li")) {
    box.querySelector("input").checked = view.series.includes(box.dataset.key);
  }
}

function viewFromControls() {
  const tz = $("tz").value.trim();
  if (!isZone(tz)) throw new Error(`"${tz}" is not a time zone this browser knows; pick one from the list (e.g. Europe/Paris).`);
  const next = { ...view, range: $("range").value, interval: $("interval").value, fn: $("fn").value, tz };
  if (next.range === "custom") {
    const start = parseWall($("start").value);
    const end = parseWall($("end").value);
    if (start === null || end === null) throw new Error("Give both the start and the end of a custom range.");
    if (end <= start) throw new Error("The end of the range must come after its start.");
    Object.assign(next, { start: wallText(start), end: wallText(end) });
  }
  return next;
}

function onControls(event) {
  event?.preventDefault();
  try {
    setView(viewFromControls());
  } catch (error) {
    status("chart-status", error.message, "error");
  }
}

function applyView() {
  view = decodeView(location.hash, defaultView(browserZone), isZone);
  syncControls();
  if (api) draw();
}

function chartState(state, text, kind = "") {
  $("chart").dataset.state = state;
  // The summary only means something next to a chart (or an empty range); the last one stays while loading.
  $("summary-box").classList.toggle("hidden", state === "idle" || state === "error");
  status("chart-status", text, kind);
}

async function draw() {
  const token = ++drawToken;
  const began = performance.now();
  const host = $("chart");
  const keys = view.series;
  if (!keys.length) {
    host.replaceChildren();
    $("legend").replaceChildren();
    $("summary").tBodies[0].replaceChildren();
    shown = null;
    chartState("idle", "Tick one or more series in the list to chart them.");
    return;
  }
  const r = rangeOf(view);
  chartState("loading", "Loading…");
  let datasets;
  let choice;
  try {
    // The raw point count decides between raw points and a rollup (rollup.js).
    const summaries = await Promise.all(keys.map((k) => api.summary(k, r.start, r.end, view.tz).catch((error) => {
      if (error instanceof ApiError && error.status === 403) throw new ApiError(403, `There is no series "${k}" under this key (or the key was refused).`);
      throw error;
    })));
    const count = Math.max(0, ...summaries.map((s) => s.summary.count ?? 0));
    choice = chooseInterval(view.interval, r.endMs - r.startMs, count);
    datasets = await api.read(keys, r.start, r.end, choice.interval, view.fn, view.tz);
  } catch (error) {
    if (token === drawToken) chartState("error", messageOf(error), "error");
    return;
  }
  if (token !== drawToken) return; // a newer view was asked for meanwhile
  shown = { datasets, keys, start: r.start, end: r.end, startMs: r.startMs, endMs: r.endMs, tz: view.tz, choice };
  const counts = paint();
  host.dataset.totalMs = (performance.now() - began).toFixed(1);
  renderLegend(datasets);
  renderSummary(datasets);
  const total = counts.reduce((a, b) => a + b, 0);
  const what = choice.interval === "raw" ? "raw points" : `${choice.interval} ${view.fn}`;
  if (!total) {
    chartState("empty", "No points in this range. Try a longer range, or another one.");
    return;
  }
  chartState("ready", `${total.toLocaleString("en-US")} ${choice.interval === "raw" ? "points" : "buckets"} (${what})${choice.reason ? ` · ${choice.reason}` : ""}`);
}

/** Draw what `shown` holds at the chart's current width; the points drawn per series. */
function paint() {
  const host = $("chart");
  const drawStart = performance.now();
  const counts = drawChart(host, { datasets: shown.datasets, start: shown.startMs, end: shown.endMs, zone: shown.tz }, {
    zoom: (s, e) => setView(customView(s, e)),
    pan: panBy,
  });
  Object.assign(host.dataset, {
    series: String(shown.datasets.length),
    points: counts.join(","),
    interval: shown.choice.interval,
    function: shown.choice.interval === "raw" ? "" : view.fn,
    tz: shown.tz,
    drawMs: (performance.now() - drawStart).toFixed(1),
  });
  paintedWidth = host.clientWidth;
  return counts;
}

let paintedWidth = 0;

function renderLegend(datasets) {
  $("legend").replaceChildren(...datasets.map((d, i) => {
    const item = document.createElement("span");
    const swatch = document.createElement("span");
    swatch.className = `swatch s${i % 8}`;
    item.append(swatch, d.series.name ? `${d.series.key} (${d.series.name})` : d.series.key);
    return item;
  }));
}

function renderSummary(datasets) {
  $("summary").tBodies[0].replaceChildren(...datasets.map((d) => {
    const row = document.createElement("tr");
    row.dataset.key = d.series.key;
    const name = document.createElement("td");
    name.textContent = d.series.key;
    row.append(name);
    for (const field of ["count", "mean", "min", "max", "stddev"]) {
      const cell = document.createElement("td");
      const value = d.summary[field];
      cell.dataset.field = field;
      cell.dataset.value = value === undefined ? "" : String(value);
      cell.textContent = value === undefined ? "–" : formatValue(value);
      if (value !== undefined && value !== null) cell.title = String(value);
      row.append(cell);
    }
    return row;
  }));
}

function exportCsv() {
  if (!shown) {
    status("chart-status", "Nothing to export yet: chart some series first.", "error");
    return;
  }
  const url = URL.createObjectURL(new Blob([toCsv(shown.datasets)], { type: "text/csv" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = csvFileName(shown.keys, shown.start, shown.end);
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

async function copyLink() {
  // The hash holds only the view (state.js): the link is safe to share.
  try {
    await navigator.clipboard.writeText(location.href);
    status("chart-status", "Link to this view copied.", "ok");
  } catch {
    status("chart-status", `Link to this view: ${location.href}`);
  }
}

function zoomBy(factor) {
  const r = rangeOf(view);
  const middle = (r.startMs + r.endMs) / 2;
  const half = ((r.endMs - r.startMs) * factor) / 2;
  setView(customView(Math.round(middle - half), Math.round(middle + half)));
}

function panBy(fraction) {
  const r = rangeOf(view);
  const shift = Math.round((r.endMs - r.startMs) * fraction);
  setView(customView(r.startMs + shift, r.endMs + shift));
}

// --- start --------------------------------------------------------------------------------------

function fillControls() {
  const option = (value, text = value) => new Option(text, value);
  $("interval").replaceChildren(option("auto", "auto"), option("raw", "raw"), ...INTERVALS.map(([n]) => option(n)));
  $("fn").replaceChildren(...FUNCTIONS.map((f) => option(f)));
  const zones = new Set(["UTC", browserZone, ...(Intl.supportedValuesOf?.("timeZone") ?? [])]);
  $("zones").replaceChildren(...[...zones].map((z) => option(z)));
}

function start() {
  fillControls();
  $("sign-in").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", signOut);
  $("filter").addEventListener("submit", loadSeries);
  $("filter-key").addEventListener("input", () => { page = 0; renderSeries(); });
  $("page-prev").addEventListener("click", () => { page--; renderSeries(); });
  $("page-next").addEventListener("click", () => { page++; renderSeries(); });
  $("edit").addEventListener("submit", saveEditor);
  $("edit-close").addEventListener("click", () => $("edit-panel").classList.add("hidden"));
  $("view").addEventListener("submit", onControls);
  $("range").addEventListener("change", () => {
    $("view").classList.toggle("custom-range", $("range").value === "custom");
    if ($("range").value !== "custom") onControls();
  });
  for (const id of ["interval", "fn", "tz"]) $(id).addEventListener("change", onControls);
  $("export").addEventListener("click", exportCsv);
  $("copy-link").addEventListener("click", copyLink);
  $("zoom-in").addEventListener("click", () => zoomBy(0.5));
  $("zoom-out").addEventListener("click", () => zoomBy(2));
  $("pan-left").addEventListener("click", () => panBy(-0.25));
  $("pan-right").addEventListener("click", () => panBy(0.25));
  window.addEventListener("hashchange", applyView);
  let resized = null;
  new ResizeObserver(() => {
    clearTimeout(resized);
    // Only a new width redraws (the chart's own height follows its width).
    resized = setTimeout(() => { if (api && shown && $("chart").clientWidth !== paintedWidth) paint(); }, 150);
  }).observe($("chart"));

  const saved = loadCredentials();
  if (saved) {
    api = new Api(saved.key, saved.secret);
    showSignedIn(true);
    loadSeries();
    applyView();
  } else {
    showSignedIn(false);
    syncControls();
  }
  // For tests and measurements: when the console was ready, in ms since navigation started.
  document.documentElement.dataset.readyMs = performance.now().toFixed(1);
}

start();
