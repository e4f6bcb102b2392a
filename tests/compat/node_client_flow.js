// Drives the real tempodb node client (v0.3.2, from npm, unchanged) against our server and prints
// what it got back as one JSON document for the Python test to check.
const path = process.argv[2];
const [host, port, key, secret] = process.argv.slice(3);
const TempoDBClient = require(path).TempoDBClient;
const client = new TempoDBClient(key, secret, { hostname: host, port: Number(port), secure: true });

const call = (fn, ...args) => new Promise((resolve) => fn.call(client, ...args, resolve));
const start = new Date(Date.UTC(2012, 0, 1));
const end = new Date(Date.UTC(2012, 0, 2));

(async () => {
  const out = {};
  out.create = await call(client.create_series, "node:key/1");
  const points = [];
  for (let i = 0; i < 10; i++) points.push({ t: new Date(start.getTime() + i * 60000), v: i * 1.5 });
  out.write = await call(client.write_key, "node:key/1", points);
  out.read = await call(client.read_key, "node:key/1", start, end, { interval: "1hour", function: "sum" });
  const series = out.create.body;
  series.tags = ["node"];
  series.attributes = { lang: "js" };
  out.update = await call(client.update_series, series.id, series.key, "from node", series.attributes, series.tags);
  out.filtered = await call(client.get_series, { tag: "node", attr: { lang: "js" } });
  out.increment = await call(client.increment_key, "counter", [{ t: start, v: 2 }, { t: start, v: 3 }]);
  out.counted = await call(client.read_key, "counter", start, end, {});
  out.bulk = await call(client.write_bulk, start, [{ key: "bulk-a", v: 1 }, { id: series.id, v: 42 }]);
  out.readMany = await call(client.read, start, end, { key: ["bulk-a", "node:key/1"], interval: "raw" });
  out.deleted = await call(client.delete_key, "node:key/1", start, end);
  out.after = await call(client.read_id, series.id, start, end, {});
  console.log(JSON.stringify(out));
})();
