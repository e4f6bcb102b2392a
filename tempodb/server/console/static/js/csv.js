// The chart's data as CSV (RFC 4180): one row per point, `series,t,v`, timestamps as the API wrote
// them (in the view's zone, with their offset), so the file says exactly what the chart showed.

function field(text) {
  const s = String(text);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** CSV text of DataSets ({series: {key}, data: [{t, v}]}), CRLF line ends, header first. */
export function toCsv(datasets) {
  const lines = ["series,t,v"];
  for (const dataset of datasets) {
    const key = field(dataset.series.key);
    for (const point of dataset.data) lines.push(`${key},${field(point.t)},${field(point.v)}`);
  }
  return lines.join("\r\n") + "\r\n";
}

/** A file name for the export, from the view: series keys and the range, safe on any file system. */
export function csvFileName(keys, start, end) {
  const part = (s) => String(s).replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 60);
  const who = keys.length === 1 ? part(keys[0]) : `${keys.length}-series`;
  return `tempodb-${who}-${part(start)}-${part(end)}.csv`;
}
