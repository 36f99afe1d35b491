// The bundle without a Superset: ZIP structure (read back with an independent reader), what each
// file holds, determinism, the Jinja rendering of sql/queries, and the importer's small helpers.
import assert from "node:assert/strict";
import { crc32, inflateRawSync } from "node:zlib";
import { test } from "node:test";
import { parse } from "yaml";
import { loadQuery } from "../../sql/src/queries";
import { assetUuid, PASSWORD_MASK, sqlalchemyUri } from "../src/assets";
import { assetsChecksum, BUNDLE_ROOT, buildBundle } from "../src/bundle";
import { removedUuids, rison } from "../src/importer";
import { SUPERSET_PARAM_SQL, supersetSql } from "../src/jinja";
import { createZip } from "../src/zip";

const CONNECTION = { host: "clickhouse", port: 8123, username: "streamstack_superset" };

/** Reads a ZIP through its central directory (APPNOTE 4.3.12/4.3.16), checking each CRC. */
function readZip(zip: Buffer): Map<string, Buffer> {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  assert.ok(eocd >= 0, "has an end-of-central-directory record");
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, "central directory entry signature");
    const method = zip.readUInt16LE(at + 10);
    const crc = zip.readUInt32LE(at + 16);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const localOffset = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString("utf8");
    assert.equal(zip.readUInt32LE(localOffset), 0x04034b50, "local header signature");
    const dataStart = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28);
    const data = method === 8 ? inflateRawSync(zip.subarray(dataStart, dataStart + size)) : zip.subarray(dataStart, dataStart + size);
    assert.equal(crc32(data), crc, `CRC of ${name}`);
    files.set(name, data);
    at += 46 + nameLength + extraLength + commentLength;
  }
  return files;
}

test("the zip holds every file under one top-level folder, byte for byte", () => {
  const bundle = buildBundle(CONNECTION);
  const files = readZip(bundle.zip);
  assert.deepEqual([...files.keys()].sort(), [...bundle.files.keys()].map((p) => `${BUNDLE_ROOT}/${p}`).sort());
  for (const [path, text] of bundle.files) assert.equal(files.get(`${BUNDLE_ROOT}/${path}`)!.toString("utf8"), text);
  assert.deepEqual(parse(bundle.files.get("metadata.yaml")!), { version: "1.0.0", type: "assets" });
});

test("createZip refuses duplicate and escaping paths", () => {
  assert.throws(() => createZip([{ path: "a", content: "" }, { path: "a", content: "" }]), /twice/);
  assert.throws(() => createZip([{ path: "../x", content: "" }]), /relative/);
  assert.throws(() => createZip([{ path: "/x", content: "" }]), /relative/);
});

test("the same assets give the same bytes; another connection gives another checksum", () => {
  assert.equal(buildBundle(CONNECTION).checksum, buildBundle(CONNECTION).checksum);
  assert.notEqual(buildBundle({ ...CONNECTION, host: "ch2" }).checksum, buildBundle(CONNECTION).checksum);
  assert.equal(assetsChecksum(), assetsChecksum());
  assert.match(assetsChecksum(), /^[0-9a-f]{64}$/);
});

test("the database file names the read-only user with a masked password, never a real one", () => {
  const bundle = buildBundle(CONNECTION);
  const db = parse(bundle.files.get(bundle.databaseFile)!) as Record<string, unknown>;
  assert.equal(db.sqlalchemy_uri, `clickhousedb://streamstack_superset:${PASSWORD_MASK}@clickhouse:8123/coinbase_demo`);
  assert.equal(db.allow_dml, false);
  assert.ok(!("password" in db));
  assert.equal(sqlalchemyUri({ ...CONNECTION, username: "a b", secure: true, port: 8443 }), `clickhousedb://a%20b:${PASSWORD_MASK}@clickhouse:8443/coinbase_demo?secure=true`);
});

test("datasets are the sql/queries files with every parameter turned into Superset Jinja", () => {
  const bundle = buildBundle(CONNECTION);
  assert.deepEqual(bundle.assets.datasets.map((d) => d.query), ["trade_vwap_5m", "trade_ohlcv_1m", "vwap_methods_5m", "vwap_5m", "ohlcv_1m", "ingestion_rate_per_minute"]);
  for (const dataset of bundle.assets.datasets) {
    const query = loadQuery(dataset.query);
    const yaml = parse(bundle.files.get(dataset.file)!) as { sql: string; columns: Array<{ column_name: string; is_dttm: boolean }> };
    assert.equal(yaml.sql, supersetSql(query));
    assert.doesNotMatch(yaml.sql, /\{(from|to|products):/);
    assert.match(yaml.sql, /from_dttm/);
    assert.match(yaml.sql, /filter_values\('product_id'\) \| where_in/);
    assert.deepEqual(yaml.columns.map((c) => c.column_name), query.columns.map((c) => c.name));
    assert.ok(yaml.columns.some((c) => c.is_dttm && c.column_name === dataset.yaml.main_dttm_col));
  }
  assert.match(SUPERSET_PARAM_SQL.from, /\{% if from_dttm %\}.*\{% else %\}/);
});

test("every chart and the dashboard point at objects in the same bundle", () => {
  const bundle = buildBundle(CONNECTION);
  const datasetUuids = new Set(bundle.uuids.datasets);
  for (const chart of bundle.assets.charts) assert.ok(datasetUuids.has(chart.yaml.dataset_uuid));
  const dashboard = parse(bundle.files.get(bundle.assets.dashboard.file)!) as {
    position: Record<string, { type: string; meta?: { uuid?: string } }>;
    metadata: { refresh_frequency: number; native_filter_configuration: Array<{ targets: Array<{ datasetUuid: string }> }> };
  };
  const placed = Object.values(dashboard.position).filter((n) => n.type === "CHART").map((n) => n.meta?.uuid).sort();
  assert.deepEqual(placed, [...bundle.uuids.charts].sort());
  assert.equal(dashboard.metadata.refresh_frequency, 10);
  for (const f of dashboard.metadata.native_filter_configuration) for (const t of f.targets) assert.ok(datasetUuids.has(t.datasetUuid));
});

test("one product at a time: a required single-select filter defaulting to the first product, price charts on a fitted linear axis, legends that never page", () => {
  const bundle = buildBundle(CONNECTION);
  const dashboard = parse(bundle.files.get(bundle.assets.dashboard.file)!) as {
    metadata: { native_filter_configuration: Array<{ controlValues: Record<string, unknown>; requiredFirst?: boolean; scope: unknown }> };
  };
  const [filter] = dashboard.metadata.native_filter_configuration;
  assert.deepEqual(
    { multiSelect: filter!.controlValues.multiSelect, enableEmptyFilter: filter!.controlValues.enableEmptyFilter, defaultToFirstItem: filter!.controlValues.defaultToFirstItem, requiredFirst: filter!.requiredFirst },
    { multiSelect: false, enableEmptyFilter: true, defaultToFirstItem: true, requiredFirst: true },
  );
  assert.deepEqual(filter!.scope, { rootPath: ["ROOT_ID"], excluded: [] }, "every chart follows the filter");
  const priceMetrics = new Set(["vwap", "open", "high", "low", "close", "ticker_vwap", "trade_vwap"]);
  for (const chart of bundle.assets.charts) {
    const params = chart.yaml.params as { metrics: string[]; metrics_b?: string[]; groupby: string[]; legendType: string; logAxis?: boolean; truncateYAxis?: boolean };
    if (chart.yaml.viz_type === "mixed_timeseries") assert.deepEqual(params.groupby, [], `${chart.yaml.slice_name}: one series per metric (the metrics refuse to blend products)`);
    else assert.deepEqual(params.groupby, ["product_id"], `${chart.yaml.slice_name}: one series per product and metric`);
    assert.ok(params.metrics.length + (params.metrics_b?.length ?? 0) <= 3, `${chart.yaml.slice_name}: at most 3 series for one product`);
    assert.equal(params.legendType, "plain", `${chart.yaml.slice_name}: legend shows every series, no pages`);
    if (params.metrics.every((m) => priceMetrics.has(m))) {
      assert.equal(params.logAxis, false, `${chart.yaml.slice_name}: linear price axis`);
      assert.equal(params.truncateYAxis, true, `${chart.yaml.slice_name}: the axis spans the product's range, not 0..max`);
    }
  }
});

test("the dashboard's charts read every trade (exact datasets); one chart compares the ticker VWAP with the trade VWAP", () => {
  const bundle = buildBundle(CONNECTION);
  const queryOf = new Map(bundle.assets.datasets.map((d) => [d.yaml.uuid, d.query]));
  const charts = bundle.assets.charts.map((c) => ({ name: c.yaml.slice_name, viz: c.yaml.viz_type, query: queryOf.get(c.yaml.dataset_uuid), params: c.yaml.params }));
  assert.deepEqual(
    charts.map((c) => c.query),
    ["trade_vwap_5m", "vwap_methods_5m", "trade_ohlcv_1m", "trade_ohlcv_1m"],
  );
  assert.match(charts[0]!.name, /^5-minute VWAP, every trade \(exact\)/, "the 5-minute VWAP stays the headline, from every trade");
  const comparison = charts[1]!;
  assert.equal(comparison.viz, "mixed_timeseries");
  assert.deepEqual(comparison.params.metrics, ["ticker_vwap", "trade_vwap"], "query A: both VWAPs on the price axis");
  assert.deepEqual(comparison.params.metrics_b, ["difference_bps"], "query B: the difference in bps");
  assert.deepEqual([comparison.params.yAxisIndex, comparison.params.yAxisIndexB, comparison.params.seriesTypeB], [0, 1, "bar"], "on its own axis, at the right");
  // Superset 6.1's mixed chart mislabels grouped series of a two-metric query, so it has no product
  // series; every metric of its dataset is NULL unless the rows are one product's.
  assert.deepEqual([comparison.params.groupby, comparison.params.groupby_b], [[], []]);
  const methods = bundle.assets.datasets.find((d) => d.query === "vwap_methods_5m")!;
  for (const m of methods.yaml.metrics) assert.match(m.expression, /^if\(uniqExact\(product_id\) = 1, .*, NULL\)$/, m.metric_name);
  // The saved query context carries both queries, so GET /api/v1/chart/<id>/data answers with both.
  const context = JSON.parse(bundle.assets.charts[1]!.yaml.query_context) as { queries: Array<{ metrics: string[] }> };
  assert.deepEqual(context.queries.map((q) => q.metrics), [["ticker_vwap", "trade_vwap"], ["difference_bps"]]);
  // The filter targets the trade VWAP dataset (its options: products with trades).
  const dashboard = parse(bundle.files.get(bundle.assets.dashboard.file)!) as { metadata: { native_filter_configuration: Array<{ targets: Array<{ datasetUuid: string }> }>; refresh_frequency: number } };
  assert.equal(queryOf.get(dashboard.metadata.native_filter_configuration[0]!.targets[0]!.datasetUuid), "trade_vwap_5m");
  // The ticker-based datasets stay (Explore, the walk-through's method) with no chart of their own.
  for (const query of ["vwap_5m", "ohlcv_1m", "ingestion_rate_per_minute"]) assert.ok(bundle.assets.datasets.some((d) => d.query === query), query);
});

test("asset uuids are stable RFC 9562 version-5 uuids, one per name", () => {
  assert.equal(assetUuid("x"), assetUuid("x"));
  assert.notEqual(assetUuid("x"), assetUuid("y"));
  assert.match(assetUuid("x"), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test("rison encodes what Superset's q parameter needs", () => {
  assert.equal(rison({ filters: [{ col: "uuid", opr: "eq", value: "0a-b" }], page_size: 100 }), "(filters:!((col:uuid,opr:eq,value:'0a-b')),page_size:100)");
  assert.equal(rison("it's"), "'it!'s'");
  assert.equal(rison([true, null]), "!(!t,!n)");
});

test("removedUuids lists what an earlier bundle had and the new one does not", () => {
  const before = { database: "d1", datasets: ["a", "b"], charts: ["c"], dashboards: ["x"] };
  const after = { database: "d1", datasets: ["a"], charts: ["c", "e"], dashboards: [] };
  assert.deepEqual(removedUuids(before, after), { database: "", datasets: ["b"], charts: [], dashboards: ["x"] });
});
