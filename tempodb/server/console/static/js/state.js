// The view in the URL hash, so a link reproduces it: series keys, range, interval, function, zone.
// Never credentials: the only fields written are the ones below. Pure, so node --test checks it.

import { FUNCTIONS, INTERVALS } from "./rollup.js";

/** Range presets: name -> length in ms, ending now. */
export const PRESETS = {
  hour: 3600e3,
  day: 86400e3,
  week: 7 * 86400e3,
  month: 30 * 86400e3,
  year: 365 * 86400e3,
};

const INTERVAL_NAMES = new Set(["auto", "raw", ...INTERVALS.map(([name]) => name)]);
const WALL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/;

/** The view when the hash says nothing. */
export function defaultView(zone) {
  return { series: [], range: "day", start: "", end: "", interval: "auto", fn: "mean", tz: zone };
}

/** The hash (without "#") for a view. Custom ranges keep their wall-clock start and end. */
export function encodeView(view) {
  const params = new URLSearchParams();
  for (const key of view.series) params.append("s", key);
  params.set("range", view.range);
  if (view.range === "custom") {
    params.set("start", view.start);
    params.set("end", view.end);
  }
  params.set("interval", view.interval);
  params.set("fn", view.fn);
  params.set("tz", view.tz);
  return params.toString();
}

/**
 * The view a hash describes, starting from `fallback` for anything missing or not understood
 * (a link from elsewhere is input: every field is checked, and `isZone` judges the zone).
 */
export function decodeView(hash, fallback, isZone = () => true) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const view = { ...fallback, series: [...fallback.series] };
  const series = params.getAll("s").filter((key) => key !== "");
  if (series.length) view.series = [...new Set(series)];
  const range = params.get("range");
  if (range === "custom") {
    const start = params.get("start") ?? "";
    const end = params.get("end") ?? "";
    if (WALL.test(start) && WALL.test(end) && start < end) Object.assign(view, { range, start, end });
  } else if (range !== null && Object.hasOwn(PRESETS, range)) {
    Object.assign(view, { range, start: "", end: "" });
  }
  const interval = params.get("interval");
  if (interval !== null && INTERVAL_NAMES.has(interval)) view.interval = interval;
  const fn = params.get("fn");
  if (fn !== null && FUNCTIONS.includes(fn)) view.fn = fn;
  const tz = params.get("tz");
  if (tz && isZone(tz)) view.tz = tz;
  return view;
}
