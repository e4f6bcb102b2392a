// Which interval a chart asks the API for: raw points while they are few enough to draw, else the
// finest rollup whose buckets still fit. Pure: no DOM, no clock, so node --test checks it.

/** Most points (or buckets) one series may put on screen. */
export const MAX_POINTS = 3000;

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Rollups the console offers, finest first, with their nominal length in ms (a month is 30 days
 *  and a year 365: close enough to count buckets, which is all the length is used for). */
export const INTERVALS = [
  ["1min", MINUTE],
  ["5min", 5 * MINUTE],
  ["15min", 15 * MINUTE],
  ["30min", 30 * MINUTE],
  ["1hour", HOUR],
  ["3hour", 3 * HOUR],
  ["6hour", 6 * HOUR],
  ["12hour", 12 * HOUR],
  ["1day", DAY],
  ["1week", 7 * DAY],
  ["1month", 30 * DAY],
  ["1year", 365 * DAY],
];

export const FUNCTIONS = ["mean", "sum", "min", "max", "count", "stddev", "ss"];

const LENGTHS = new Map(INTERVALS);

/** The nominal length of a rollup name from INTERVALS, or null for "raw" and unknown names. */
export function intervalMs(name) {
  return LENGTHS.get(name) ?? null;
}

/** How many buckets `interval` cuts [0, rangeMs) into (at most; alignment may add one). */
export function bucketCount(rangeMs, interval) {
  const length = intervalMs(interval);
  return length === null ? Infinity : Math.ceil(rangeMs / length) + 1;
}

/** The finest rollup of INTERVALS with at most `max` buckets over `rangeMs` (the coarsest if none). */
export function finestRollup(rangeMs, max = MAX_POINTS) {
  for (const [name] of INTERVALS) {
    if (bucketCount(rangeMs, name) <= max) return name;
  }
  return INTERVALS[INTERVALS.length - 1][0];
}

/**
 * The interval to read with, and why.
 *  requested: "auto", "raw" or a name from INTERVALS;
 *  rangeMs: length of the range; count: the most raw points any chosen series has in it (from
 *  its summary), or null when unknown.
 * Returns {interval, reason}: reason is null when the request is used as is, else a sentence.
 */
export function chooseInterval(requested, rangeMs, count, max = MAX_POINTS) {
  const tooMany = (n) => `${n.toLocaleString("en-US")} points per series would be too many to draw`;
  if (requested === "raw" || requested === "auto") {
    if (count !== null && count <= max) return { interval: "raw", reason: null };
    const interval = finestRollup(rangeMs, max);
    if (requested === "auto") return { interval, reason: count === null ? null : `auto: ${tooMany(count)} raw` };
    return { interval, reason: `${tooMany(count ?? bucketCount(rangeMs, "1min"))} raw; showing ${interval} instead` };
  }
  const buckets = bucketCount(rangeMs, requested);
  if (buckets <= max) return { interval: requested, reason: null };
  const interval = finestRollup(rangeMs, max);
  return { interval, reason: `${requested}: ${tooMany(buckets)}; showing ${interval} instead` };
}
