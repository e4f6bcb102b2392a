// CSV export: RFC 4180 quoting, CRLF, timestamps as the API wrote them.
import assert from "node:assert/strict";
import { test } from "node:test";
import { csvFileName, toCsv } from "../../../tempodb/server/console/static/js/csv.js";

test("one row per point, header first, CRLF line ends", () => {
  const text = toCsv([
    { series: { key: "a" }, data: [{ t: "2012-01-01T00:00:00.000-06:00", v: 1.5 }, { t: "2012-01-01T01:00:00.000-06:00", v: 2 }] },
    { series: { key: "b" }, data: [] },
  ]);
  assert.equal(text, "series,t,v\r\na,2012-01-01T00:00:00.000-06:00,1.5\r\na,2012-01-01T01:00:00.000-06:00,2\r\n");
});

test("keys with commas, quotes or line breaks are quoted", () => {
  const text = toCsv([{ series: { key: 'x,"y"\nz' }, data: [{ t: "2012-01-01T00:00:00.000Z", v: -0.25 }] }]);
  assert.equal(text.split("\r\n")[1], '"x,""y""\nz",2012-01-01T00:00:00.000Z,-0.25');
});

test("file names are safe and say what is in them", () => {
  assert.equal(csvFileName(["temp/room 1"], "2012-01-01T00:00", "2012-01-02T00:00"), "tempodb-temp_room_1-2012-01-01T00_00-2012-01-02T00_00.csv");
  assert.match(csvFileName(["a", "b"], "s", "e"), /^tempodb-2-series-s-e\.csv$/);
});
