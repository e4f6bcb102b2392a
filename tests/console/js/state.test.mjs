// The view in the URL hash: round trip, and every field from a link checked.
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeView, defaultView, encodeView } from "../../../tempodb/server/console/static/js/state.js";

const base = defaultView("Europe/Paris");

test("a view survives the round trip through the hash", () => {
  const view = { series: ["a b", "c&d=e", "ключ"], range: "custom", start: "2012-01-01T00:00", end: "2012-02-01T00:00:30", interval: "1day", fn: "max", tz: "America/Chicago" };
  assert.deepEqual(decodeView("#" + encodeView(view), base), view);
  const preset = { ...base, series: ["x"], range: "week" };
  assert.deepEqual(decodeView(encodeView(preset), base), preset);
});

test("presets keep no start or end; custom ranges keep their wall-clock times", () => {
  assert.equal(encodeView({ ...base, range: "day", start: "2012-01-01T00:00", end: "2012-01-02T00:00" }).includes("start"), false);
});

test("the hash never holds anything but the view's fields", () => {
  const hash = encodeView({ ...base, series: ["k"], secret: "hunter2", key: "me" });
  assert.deepEqual([...new URLSearchParams(hash).keys()].sort(), ["fn", "interval", "range", "s", "tz"]);
});

test("nonsense in a link falls back to the defaults, field by field", () => {
  const view = decodeView("#s=k&range=fortnight&interval=7parsecs&fn=median&tz=Mars/Olympus", base, (z) => z !== "Mars/Olympus");
  assert.deepEqual(view, { ...base, series: ["k"] });
  const backwards = decodeView("#range=custom&start=2012-02-01T00:00&end=2012-01-01T00:00", base);
  assert.equal(backwards.range, base.range);
  const script = decodeView("#range=custom&start=<script>&end=2012-01-01T00:00", base);
  assert.equal(script.range, base.range);
});

test("repeated series keys are kept once, in order", () => {
  assert.deepEqual(decodeView("#s=b&s=a&s=b", base).series, ["b", "a"]);
});
