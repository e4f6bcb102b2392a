// Time-axis ticks and labels in a chosen zone, and the API's timestamps.
import assert from "node:assert/strict";
import { test } from "node:test";
import { instantOf, parseTimestamp, parseWall, tickStep, timeTicks, wallClock, wallText } from "../../../tempodb/server/console/static/js/timeaxis.js";

const H = 3600e3;
const D = 24 * H;
const utc = (...a) => Date.UTC(...a);

test("API timestamps: Z, ±HH:MM and historical ±HH:MM:SS offsets", () => {
  assert.equal(parseTimestamp("2012-01-01T00:00:00.000Z"), utc(2012, 0, 1));
  assert.equal(parseTimestamp("2011-12-31T18:00:00.000-06:00"), utc(2012, 0, 1));
  assert.equal(parseTimestamp("2012-01-01T05:45:00.000+05:45"), utc(2012, 0, 1));
  assert.equal(parseTimestamp("1850-01-01T00:00:00.000-05:50:36"), utc(1850, 0, 1, 5, 50, 36));
  assert.equal(parseTimestamp("2012-01-01T00:00:00.123Z"), utc(2012, 0, 1) + 123);
  assert.throws(() => parseTimestamp("2012-01-01"), /not a timestamp/);
});

test("daily ticks sit on local midnights of the zone, labelled by day", () => {
  const ticks = timeTicks(utc(2012, 0, 1), utc(2012, 0, 8), "America/Chicago", 8);
  assert.deepEqual(ticks.map((t) => t.label), ["1 Jan", "2 Jan", "3 Jan", "4 Jan", "5 Jan", "6 Jan", "7 Jan"]);
  for (const { t } of ticks) assert.equal(new Date(t).getUTCHours(), 6); // 00:00 CST
});

test("clock ticks name the day on the first tick and at each new day", () => {
  const labels = timeTicks(utc(2012, 0, 1), utc(2012, 0, 1, 12), "America/Chicago", 5).map((t) => t.label);
  assert.deepEqual(labels, ["31 Dec 18:00", "21:00", "1 Jan 00:00", "03:00", "06:00"]);
});

test("hour ticks follow a half-hour zone's wall clock", () => {
  const ticks = timeTicks(utc(2012, 0, 1), utc(2012, 0, 1, 12), "Asia/Kathmandu", 5);
  assert.deepEqual(ticks.map((t) => t.label), ["1 Jan 06:00", "09:00", "12:00", "15:00"]);
  assert.equal(ticks[0].t, utc(2012, 0, 1, 0, 15)); // 06:00 at +05:45
});

test("a year gets month ticks; decades get year ticks", () => {
  assert.deepEqual(timeTicks(utc(2012, 0, 1), utc(2013, 0, 1), "UTC", 5).map((t) => t.label), ["Jan 2012", "Apr 2012", "Jul 2012", "Oct 2012", "Jan 2013"]);
  assert.deepEqual(timeTicks(utc(2000, 0, 1), utc(2030, 0, 1), "UTC", 8).map((t) => t.label), ["2000", "2005", "2010", "2015", "2020", "2025", "2030"]);
});

test("across a DST change hour ticks stay on whole local hours, the missing hour skipped", () => {
  const ticks = timeTicks(utc(2012, 2, 11, 6), utc(2012, 2, 11, 10), "America/Chicago", 4);
  assert.deepEqual(ticks.map((t) => t.label), ["11 Mar 00:00", "01:00", "03:00", "04:00", "05:00"]);
});

test("law: ticks are increasing, inside the range, and no more than asked for (plus one)", () => {
  const zones = ["UTC", "America/Chicago", "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Chatham"];
  let seed = 7;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  for (let i = 0; i < 300; i++) {
    const start = utc(1990, 0, 1) + random() * 40 * 365 * D;
    const end = start + 10 ** (3 + random() * 8);
    const zone = zones[i % zones.length];
    const max = 2 + Math.floor(random() * 10);
    const ticks = timeTicks(start, end, zone, max);
    for (let j = 0; j < ticks.length; j++) {
      assert.ok(ticks[j].t >= start && ticks[j].t <= end);
      if (j) assert.ok(ticks[j].t > ticks[j - 1].t);
    }
    assert.ok(ticks.length <= max + 2, `${ticks.length} ticks for max ${max}`);
    assert.ok(tickStep(start, end, max)[2] * (max + 0.5) >= end - start);
  }
});

test("law: instantOf inverts wallClock outside clock changes", () => {
  for (const zone of ["UTC", "Europe/Paris", "America/Chicago", "Asia/Kathmandu"]) {
    for (let t = utc(2012, 0, 1); t < utc(2013, 0, 1); t += 97 * H + 13e3) {
      assert.equal(instantOf(wallClock(t, zone), zone), t, `${zone} ${new Date(t).toISOString()}`);
    }
  }
});

test("wall text round-trips the datetime-local format", () => {
  assert.equal(wallText(utc(2012, 0, 2, 3, 4, 5)), "2012-01-02T03:04:05");
  assert.equal(parseWall("2012-01-02T03:04"), utc(2012, 0, 2, 3, 4));
  assert.equal(parseWall("2012-01-02T03:04:05"), utc(2012, 0, 2, 3, 4, 5));
  assert.equal(parseWall("yesterday"), null);
});

test("a day whose midnight the zone skips still gets its tick, where the day starts", () => {
  // Santiago moved its clocks from 00:00 to 01:00 on 2 September 2012.
  const ticks = timeTicks(utc(2012, 8, 1, 4), utc(2012, 8, 4, 4), "America/Santiago", 4);
  // ICU versions spell September's short form "Sep" or "Sept".
  assert.deepEqual(ticks.map((t) => t.label.replace("Sept", "Sep")), ["1 Sep", "2 Sep", "3 Sep", "4 Sep"]);
  assert.equal(ticks[1].t, utc(2012, 8, 2, 4)); // 01:00 -03:00, the first instant of 2 September
});

test("where the clock falls back, a wall time means its first occurrence", () => {
  // Chicago shows 01:30 twice on 4 November 2012: first at -05:00.
  assert.equal(instantOf(utc(2012, 10, 4, 1, 30), "America/Chicago"), utc(2012, 10, 4, 6, 30));
});
