// The rollup choice: raw while the points fit, else the finest rollup whose buckets fit.
import assert from "node:assert/strict";
import { test } from "node:test";
import { bucketCount, chooseInterval, finestRollup, INTERVALS, intervalMs, MAX_POINTS } from "../../../tempodb/server/console/static/js/rollup.js";

const HOUR = 3600e3;
const DAY = 24 * HOUR;

test("raw points are kept while they fit", () => {
  assert.deepEqual(chooseInterval("auto", DAY, 1440), { interval: "raw", reason: null });
  assert.deepEqual(chooseInterval("auto", DAY, MAX_POINTS), { interval: "raw", reason: null });
  assert.deepEqual(chooseInterval("raw", 365 * DAY, 10), { interval: "raw", reason: null });
});

test("a year of hourly points becomes the finest rollup that fits", () => {
  const { interval, reason } = chooseInterval("auto", 366 * DAY, 8784);
  assert.equal(interval, "3hour");
  assert.ok(bucketCount(366 * DAY, interval) <= MAX_POINTS);
  assert.ok(bucketCount(366 * DAY, "1hour") > MAX_POINTS);
  assert.match(reason, /8,784 points per series/);
});

test("asking for raw with too many points says what is shown instead", () => {
  const { interval, reason } = chooseInterval("raw", 366 * DAY, 8784);
  assert.equal(interval, "3hour");
  assert.match(reason, /showing 3hour instead/);
});

test("an explicit rollup is kept when its buckets fit, replaced when not", () => {
  assert.deepEqual(chooseInterval("1day", 366 * DAY, 8784), { interval: "1day", reason: null });
  const { interval, reason } = chooseInterval("1min", 7 * DAY, 100);
  assert.equal(interval, "5min");
  assert.match(reason, /^1min: .* showing 5min instead$/);
});

test("law: the choice never exceeds MAX_POINTS buckets unless even the coarsest rollup does", () => {
  for (let exp = 0; exp < 40; exp++) {
    const range = 1000 * 1.9 ** exp;
    for (const requested of ["auto", "raw", ...INTERVALS.map(([n]) => n)]) {
      for (const count of [0, 10, MAX_POINTS, MAX_POINTS + 1, 1e7]) {
        const { interval } = chooseInterval(requested, range, count);
        if (interval === "raw") assert.ok(count <= MAX_POINTS);
        else if (interval !== "1year") assert.ok(bucketCount(range, interval) <= MAX_POINTS, `${requested} ${range} ${count}`);
        // Never coarser than needed: the next finer rollup would not fit (or the request fitted).
        const i = INTERVALS.findIndex(([n]) => n === interval);
        if (i > 0 && interval !== requested) assert.ok(bucketCount(range, INTERVALS[i - 1][0]) > MAX_POINTS);
      }
    }
  }
});

test("the ladder is ordered finest first, and every name is a valid API interval", () => {
  for (let i = 1; i < INTERVALS.length; i++) assert.ok(INTERVALS[i][1] > INTERVALS[i - 1][1]);
  for (const [name] of INTERVALS) assert.match(name, /^\d+(min|hour|day|week|month|year)$/);
  assert.equal(intervalMs("raw"), null);
  assert.equal(finestRollup(HOUR), "1min");
});
