// The assets against a real Superset 6.1.0 (PyPI wheel, SQLite metadata, loopback port):
// import, REST checks, re-import, delete; then each chart's SQL as Superset generates it, run on
// the embedded ClickHouse over fixture trades and ticks, and each chart's data as Superset itself
// fetches it through ClickHouse, compared with an independent computation.
// Skips (with the reason) where Python 3 with venv/pip is missing; CI has it, so it runs there.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { stringify } from "yaml";
import { openMigratedEngine, type TestEngine } from "../../sql/testing/engine";
import { assetUuid, DASHBOARD_SLUG, REFRESH_SECONDS, type ClickHouseConnection } from "../src/assets";
import { serveClickHouseHttp, type ClickHouseHttpEndpoint } from "../../sql/testing/clickhouse-http";
import { BUNDLE_ROOT, buildBundle, type AssetUuids, type Bundle } from "../src/bundle";
import { createZip } from "../src/zip";
import { deployAssets, removeAssets } from "../src/deploy";
import { SupersetClient, type AssetKind } from "../src/importer";
import { FIXTURE_PRODUCTS, parseUtc, type TickRow } from "../../sql/testing/ticks";
import { insertTrades, type TradeLineInput } from "../../sql/testing/trades";
import { expectedDifferenceBps, expectedTradeCandles1m, expectedTradeVwap5m, expectedVwap5m, fixtureTrades, seriesKey, tickersFromTrades } from "../testing/fixtures";
import { CHROMIUM_ARGS, findChromium, screenshotPaths } from "../testing/browser";
import { startSuperset, supersetAvailability, type SupersetServer } from "../testing/server";

const availability = supersetAvailability();
const skip = availability.ok ? false : `SKIPPED: no real Superset here: ${availability.reason}`;
if (skip) console.log(`# superset/test/superset.test.ts ${skip}`);

const chromium = findChromium();
const CLICKHOUSE_USER = "streamstack_superset";
const CLICKHOUSE_PASSWORD = randomBytes(12).toString("base64url");

// Fields Superset rewrites on every save whatever changed, and humanized forms of them.
const VOLATILE = /^(changed_on|changed_by|created_on|created_by|changed_on_.*|created_on_.*|.*_humanized|last_saved_at|last_saved_by)$/;

function stripVolatile(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripVolatile);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([k]) => !VOLATILE.test(k))
        .map(([k, v]) => [k, stripVolatile(v)]),
    );
  }
  return value;
}

interface ChartQueryResult {
  result: Array<{ query: string; language: string }>;
}

/** One query's result from the chart data API (pivoted: a time column, then one column per series). */
interface ChartDataResult {
  status: string;
  colnames: string[];
  data: Array<Record<string, number | null>>;
}

const PRODUCTS = Object.keys(FIXTURE_PRODUCTS);

describe("Superset assets against a real Superset", { skip, timeout: 900_000 }, () => {
  let server: SupersetServer;
  let client: SupersetClient;
  let engine: TestEngine;
  let clickhouseHttp: ClickHouseHttpEndpoint;
  let clickhouse: ClickHouseConnection;
  let bundle: Bundle;
  let ticks: TickRow[];
  let trades: TradeLineInput[];
  const ids = new Map<string, number>();
  const deployRequest = () => ({
    superset: { url: server.url, username: server.username, password: server.password },
    clickhouse,
    clickhousePassword: CLICKHOUSE_PASSWORD,
  });

  async function snapshot(uuids: AssetUuids): Promise<unknown> {
    const out: Record<string, unknown> = {};
    const all: Array<[AssetKind, string]> = [
      ["database", uuids.database],
      ...uuids.datasets.map((u): [AssetKind, string] => ["dataset", u]),
      ...uuids.charts.map((u): [AssetKind, string] => ["chart", u]),
      ...uuids.dashboards.map((u): [AssetKind, string] => ["dashboard", u]),
    ];
    for (const [kind, uuid] of all) {
      const id = await client.findId(kind, uuid);
      assert.ok(id !== undefined, `${kind} ${uuid} exists`);
      out[`${kind}:${uuid}`] = stripVolatile((await client.getJson<{ result: unknown }>(`/api/v1/${kind}/${id}`)).result);
    }
    for (const kind of ["database", "dataset", "chart", "dashboard"] as const) {
      out[`count:${kind}`] = (await client.getJson<{ count: number }>(`/api/v1/${kind}/?q=(page_size:1)`)).count;
    }
    return out;
  }

  before(async () => {
    // Fixture trades in whole 5-minute buckets well inside the last 24 h (23 h of them, so the
    // 24-hour charts are filled as on a stack that has run for a day, and the 3-hour chart sees
    // only its window), ending 15+ min before "now" so no bucket is still filling when Superset
    // computes its time range; and the ticker rows the feed would have sent for them (one per
    // taker order's fills, the last fill's price and size), for the walk-through's method.
    const to = Math.floor((Date.now() - 15 * 60_000) / 300_000) * 300_000;
    trades = fixtureTrades(to - 23 * 3600_000, to);
    ticks = tickersFromTrades(trades);
    engine = await openMigratedEngine();
    await insertTrades(engine.client, trades, `superset-fixture-trades-${to}`);
    await engine.client.insert({
      table: "coinbase_demo.coinbase_ticker",
      values: ticks,
      format: "JSONEachRow",
      clickhouse_settings: { insert_deduplication_token: `superset-fixture-${to}`, async_insert: 0 },
    });
    clickhouseHttp = await serveClickHouseHttp({ dir: engine.dir, user: CLICKHOUSE_USER, password: CLICKHOUSE_PASSWORD });
    clickhouse = { host: clickhouseHttp.host, port: clickhouseHttp.port, username: CLICKHOUSE_USER };
    bundle = buildBundle(clickhouse);
    server = await startSuperset();
    console.log(`# Superset version under test: ${server.version}`);
    try {
      const result = await deployAssets(deployRequest());
      assert.equal(result.checksum, bundle.checksum);
    } catch (err) {
      console.log(server.readLog().split("\n").slice(-60).join("\n"));
      throw err;
    }
    client = await SupersetClient.connect({ url: server.url, username: server.username, password: server.password });
    for (const uuid of [bundle.uuids.database, ...bundle.uuids.datasets, ...bundle.uuids.charts, ...bundle.uuids.dashboards]) {
      const kind: AssetKind =
        uuid === bundle.uuids.database ? "database" : bundle.uuids.datasets.includes(uuid) ? "dataset" : bundle.uuids.charts.includes(uuid) ? "chart" : "dashboard";
      const id = await client.findId(kind, uuid);
      if (id !== undefined) ids.set(uuid, id);
    }
  });

  after(async () => {
    await server?.stop();
    await clickhouseHttp?.close();
    await engine?.close();
  });

  test("the runtime is the pinned Superset", () => {
    assert.equal(server.version, "6.1.0");
  });

  test("the database is a clickhousedb:// connection as the read-only user, password not readable back", async () => {
    const id = ids.get(bundle.uuids.database);
    assert.ok(id, "database imported");
    const db = (await client.getJson<{ result: Record<string, unknown> }>(`/api/v1/database/${id}/connection`)).result;
    assert.equal(db.backend, "clickhousedb");
    assert.equal(db.sqlalchemy_uri, `clickhousedb://streamstack_superset:XXXXXXXXXX@127.0.0.1:${clickhouseHttp.port}/coinbase_demo`);
    assert.equal(db.allow_dml, false);
    assert.ok(!JSON.stringify(db).includes(CLICKHOUSE_PASSWORD), "the password never comes back through the API");
    for (const [path, text] of bundle.files) assert.ok(!text.includes(CLICKHOUSE_PASSWORD), `${path} holds no password`);
  });

  test("datasets carry the sql/queries SQL with Superset Jinja, columns and metrics", async () => {
    for (const dataset of bundle.assets.datasets) {
      const id = ids.get(dataset.yaml.uuid);
      assert.ok(id, `${dataset.yaml.table_name} imported`);
      const got = (await client.getJson<{ result: Record<string, unknown> }>(`/api/v1/dataset/${id}`)).result;
      assert.equal(got.table_name, dataset.yaml.table_name);
      assert.equal(got.sql, dataset.yaml.sql);
      assert.equal((got.database as { id: number }).id, ids.get(bundle.uuids.database));
      assert.equal(got.main_dttm_col, dataset.yaml.main_dttm_col);
      const columns = (got.columns as Array<{ column_name: string; is_dttm: boolean }>).map((c) => c.column_name).sort();
      assert.deepEqual(columns, dataset.yaml.columns.map((c) => c.column_name).sort());
      const metrics = (got.metrics as Array<{ metric_name: string; expression: string }>).map((m) => `${m.metric_name}=${m.expression}`).sort();
      assert.deepEqual(metrics, dataset.yaml.metrics.map((m) => `${m.metric_name}=${m.expression}`).sort());
    }
  });

  test("the dashboard holds the four charts, refreshes every 10 s and has a one-product filter on the trade VWAP dataset", async () => {
    const dashboardId = ids.get(bundle.uuids.dashboards[0]!);
    assert.ok(dashboardId, "dashboard imported");
    const dashboard = (await client.getJson<{ result: Record<string, unknown> }>(`/api/v1/dashboard/${dashboardId}`)).result;
    assert.equal(dashboard.slug, DASHBOARD_SLUG);
    const metadata = JSON.parse(String(dashboard.json_metadata)) as {
      refresh_frequency: number;
      native_filter_configuration: Array<{
        filterType: string;
        targets: Array<{ datasetId: number; column: { name: string } }>;
        controlValues: Record<string, unknown>;
        requiredFirst?: boolean;
      }>;
    };
    assert.equal(metadata.refresh_frequency, REFRESH_SECONDS);
    assert.equal(metadata.refresh_frequency, 10);
    const filters = metadata.native_filter_configuration;
    assert.equal(filters.length, 1);
    assert.equal(filters[0]!.filterType, "filter_select");
    assert.equal(filters[0]!.targets[0]!.column.name, "product_id");
    const tradeVwap = bundle.assets.datasets.find((d) => d.query === "trade_vwap_5m")!;
    assert.equal(filters[0]!.targets[0]!.datasetId, ids.get(tradeVwap.yaml.uuid), "targets the trade VWAP dataset by its new id");
    // One product at a time, never none, the first one until someone picks another.
    const { multiSelect, enableEmptyFilter, defaultToFirstItem } = filters[0]!.controlValues;
    assert.deepEqual({ multiSelect, enableEmptyFilter, defaultToFirstItem }, { multiSelect: false, enableEmptyFilter: true, defaultToFirstItem: true });
    assert.equal(filters[0]!.requiredFirst, true, "charts wait for the filter's default");

    const charts = (await client.getJson<{ result: Array<{ id: number; slice_name: string }> }>(`/api/v1/dashboard/${dashboardId}/charts`)).result;
    assert.deepEqual(charts.map((c) => c.id).sort(), bundle.uuids.charts.map((u) => ids.get(u)).sort());
    const position = JSON.parse(String(dashboard.position_json)) as Record<string, { type: string; meta?: { chartId?: number } }>;
    const placed = Object.values(position).filter((n) => n.type === "CHART").map((n) => n.meta?.chartId).sort();
    assert.deepEqual(placed, charts.map((c) => c.id).sort(), "layout points at the imported chart ids");
  });

  test("each chart is bound to its dataset and has a saved query context", async () => {
    for (const chart of bundle.assets.charts) {
      const id = ids.get(chart.yaml.uuid);
      assert.ok(id, `${chart.yaml.slice_name} imported`);
      const got = (await client.getJson<{ result: Record<string, unknown> }>(`/api/v1/chart/${id}`)).result;
      assert.equal(got.viz_type, chart.yaml.viz_type);
      const datasetUuid = chart.yaml.dataset_uuid;
      const queryContext = JSON.parse(String(got.query_context)) as { datasource: { id: number } };
      assert.equal(queryContext.datasource.id, ids.get(datasetUuid));
    }
  });

  test("each chart's SQL, as Superset generates it, runs on ClickHouse and matches an independent computation", async (t) => {
    {
      const run = async (sql: string) => {
        const rs = await engine.client.query({ query: sql, format: "JSONEachRow", clickhouse_settings: { session_timezone: "UTC" } });
        return rs.json<Record<string, unknown>>();
      };
      const chartSql = async (uuid: string, body?: Record<string, unknown>): Promise<string> => {
        const id = ids.get(uuid);
        const res = body
          ? await client.postJson<ChartQueryResult>("/api/v1/chart/data", body)
          : await client.getJson<ChartQueryResult>(`/api/v1/chart/${id}/data/?type=query`);
        const sql = res.result[0]?.query;
        assert.ok(sql, "Superset returned a query");
        assert.doesNotMatch(sql, /\{\{|\{%|\{(from|to|products):/, "no unrendered template or placeholder left");
        return sql;
      };
      const [vwapChart, methodsChart, ohlcChart, tradesChart] = bundle.assets.charts as [(typeof bundle.assets.charts)[0], (typeof bundle.assets.charts)[0], (typeof bundle.assets.charts)[0], (typeof bundle.assets.charts)[0]];
      const tradeVwap = expectedTradeVwap5m(trades);
      const tickerVwap = expectedVwap5m(ticks);
      const candles = expectedTradeCandles1m(trades);
      /** Each query's result as Superset itself fetches the chart's data through ClickHouse (GET /api/v1/chart/<id>/data/). */
      const supersetData = async (uuid: string): Promise<ChartDataResult[]> => {
        const res = await client.getJson<{ result: ChartDataResult[] }>(`/api/v1/chart/${ids.get(uuid)}/data/`);
        for (const result of res.result) assert.equal(result.status, "success");
        return res.result;
      };

      await t.test("VWAP 5 min from every trade: one value per product and bucket, equal to the exact Σ price·size / Σ size of the trades", async () => {
        const sql = await chartSql(vwapChart.yaml.uuid);
        console.log(`# VWAP chart SQL from Superset:\n${sql.replace(/^/gm, "#   ")}`);
        assert.match(sql, /FROM coinbase_demo\.trade_vwap_5m/, "the chart reads the exact rollup");
        assertSeriesMatch(await run(sql), "bucket", "vwap", tradeVwap, 1e-9);
      });

      await t.test("VWAP with the product filter set: only that product, same values", async () => {
        const id = ids.get(vwapChart.yaml.uuid)!;
        const saved = (await client.getJson<{ result: { query_context: string } }>(`/api/v1/chart/${id}`)).result;
        const context = JSON.parse(saved.query_context) as { queries: Array<{ filters: unknown[] }> };
        // The second value carries a quote: where_in must escape it (no injection, no syntax error).
        context.queries[0]!.filters.push({ col: "product_id", op: "IN", val: ["ETH-USD", "x') OR 1=1 --"] });
        const sql = await chartSql(vwapChart.yaml.uuid, { ...context, result_type: "query" });
        assert.match(sql, /array\('ETH-USD', /, "filter_values pushed the products into the dataset query");
        const rows = await run(sql);
        assert.ok(rows.length > 0);
        assert.deepEqual([...new Set(rows.map((r) => r.product_id))], ["ETH-USD"]);
        const expected = new Map([...tradeVwap].filter(([k]) => k.startsWith("ETH-USD@")));
        assertSeriesMatch(rows, "bucket", "vwap", expected, 1e-9);
      });

      await t.test("VWAP without a time range falls back to the last 24 h (the Jinja default branch)", async () => {
        const id = ids.get(vwapChart.yaml.uuid)!;
        const saved = (await client.getJson<{ result: { query_context: string } }>(`/api/v1/chart/${id}`)).result;
        const context = JSON.parse(saved.query_context) as { queries: Array<{ filters: Array<{ op: string }> }> };
        context.queries[0]!.filters = context.queries[0]!.filters.filter((f) => f.op !== "TEMPORAL_RANGE");
        const sql = await chartSql(vwapChart.yaml.uuid, { ...context, result_type: "query" });
        assert.match(sql, /INTERVAL 24 HOUR/);
        assertSeriesMatch(await run(sql), "bucket", "vwap", tradeVwap, 1e-9);
      });

      await t.test("Superset itself runs the VWAP chart through ClickHouse: one series per product, same values", async () => {
        const [result] = await supersetData(vwapChart.yaml.uuid);
        assert.deepEqual(result!.colnames, ["bucket", ...PRODUCTS]);
        assertPivotMatch(result!, "bucket", { vwap: tradeVwap }, { relTolerance: 1e-9 });
      });

      await t.test("the product filter offers exactly the products with data", async () => {
        const datasetId = ids.get(vwapChart.yaml.dataset_uuid)!;
        // What the filter_select control asks for its options (distinct values of the target column).
        const res = await client.postJson<{ result: Array<{ status: string; data: Array<{ product_id: string }> }> }>("/api/v1/chart/data", {
          datasource: { id: datasetId, type: "table" },
          force: false,
          queries: [{ columns: ["product_id"], metrics: [], orderby: [["product_id", true]], row_limit: 1000, filters: [], extras: {} }],
          result_format: "json",
          result_type: "full",
        });
        assert.equal(res.result[0]!.status, "success");
        assert.deepEqual(res.result[0]!.data.map((r) => r.product_id), [...PRODUCTS].sort());
      });

      await t.test("ticker method vs every trade: both VWAPs and the difference in bps for the selected product, from Superset's SQL and Superset's own run", async () => {
        const id = ids.get(methodsChart.yaml.uuid)!;
        const saved = JSON.parse((await client.getJson<{ result: { query_context: string } }>(`/api/v1/chart/${id}`)).result.query_context) as { queries: Array<{ filters: unknown[] }> };
        // What the dashboard sends with its Product filter set (both queries filtered).
        const request = (product: string | null, resultType: "query" | "full") => ({
          ...saved,
          queries: saved.queries.map((q) => ({ ...q, filters: product ? [...q.filters, { col: "product_id", op: "IN", val: [product] }] : q.filters })),
          result_type: resultType,
        });
        // No product selected (Explore without the filter): the metrics refuse to blend products.
        const blended = await client.postJson<{ result: ChartDataResult[] }>("/api/v1/chart/data", request(null, "full"));
        assert.equal(blended.result.length, 2);
        for (const result of blended.result) {
          assert.equal(result.status, "success");
          assert.ok(result.data.length > 0);
          for (const row of result.data) for (const [k, v] of Object.entries(row)) if (k !== "bucket") assert.equal(v, null, `${k} over every product`);
        }
        const difference = expectedDifferenceBps(tickerVwap, tradeVwap);
        assert.ok(difference.size > 3 * 250, "most buckets have both");
        assert.ok([...difference.values()].some((bps) => Math.abs(bps) > 0.01), "the ticker method is off somewhere");
        for (const product of PRODUCTS) {
          const only = (m: ReadonlyMap<string, number>) => new Map([...m].filter(([k]) => k.startsWith(`${product}@`)));
          const sql = (await client.postJson<ChartQueryResult>("/api/v1/chart/data", request(product, "query"))).result.map((r) => r.query);
          assert.equal(sql.length, 2, "two queries: the VWAP lines and the bps bars");
          assert.match(sql[0]!, /FROM coinbase_demo\.vwap_5m/);
          assert.match(sql[0]!, /FROM coinbase_demo\.trade_vwap_5m/);
          const lineRows = (await run(sql[0]!)).map((r) => ({ ...r, product_id: product }));
          assertSeriesMatch(lineRows, "bucket", "ticker_vwap", only(tickerVwap), 1e-9);
          assertSeriesMatch(lineRows, "bucket", "trade_vwap", only(tradeVwap), 1e-9);
          const barRows = (await run(sql[1]!)).map((r) => ({ ...r, product_id: product }));
          assertSeriesMatch(barRows, "bucket", "difference_bps", only(difference), 0, false, 1e-4);

          const [lines, bars] = (await client.postJson<{ result: ChartDataResult[] }>("/api/v1/chart/data", request(product, "full"))).result;
          assert.deepEqual([lines!.status, bars!.status], ["success", "success"]);
          assert.deepEqual(lines!.colnames, ["bucket", "ticker_vwap", "trade_vwap"]);
          assert.deepEqual(bars!.colnames, ["bucket", "difference_bps"]);
          assertPivotMatch(lines!, "bucket", { ticker_vwap: only(tickerVwap), trade_vwap: only(tradeVwap) }, { relTolerance: 1e-9, product });
          assertPivotMatch(bars!, "bucket", { difference_bps: only(difference) }, { absTolerance: 1e-4, product });
        }
      });

      await t.test("high, low, close per product and minute from every trade, over the chart's last 3 h", async () => {
        const sql = await chartSql(ohlcChart.yaml.uuid);
        assert.match(sql, /FROM coinbase_demo\.trade_ohlcv_1m/);
        const rows = await run(sql);
        // The window Superset resolved "last 3 h" to: the first rendered {from:DateTime}.
        const from = /parseDateTimeBestEffort\('([^']+)', 'UTC'\)/.exec(sql)?.[1];
        assert.ok(from, "the chart's SQL carries its start time");
        const fromMs = parseUtc(from);
        assert.ok(Math.abs(fromMs - (Date.now() - 3 * 3600_000)) < 10 * 60_000, `window starts about 3 h ago (${from})`);
        const inWindow = (since: number) => new Map([...candles].filter(([k]) => Number(k.split("@")[1]) >= since));
        assert.ok(inWindow(fromMs).size > 3 * 150, "the fixture fills the window");
        for (const field of ["high", "low", "close"] as const) {
          assertSeriesMatch(rows, "minute", field, new Map([...inWindow(fromMs)].map(([k, c]) => [k, c[field]])), 1e-12);
        }
        // Superset's own run resolves "last 3 h" a moment later: every minute a minute inside both windows is plotted.
        const [result] = await supersetData(ohlcChart.yaml.uuid);
        const fields = (["high", "low", "close"] as const).map((f) => [f, new Map([...inWindow(fromMs)].map(([k, c]) => [k, c[f]]))] as const);
        assertPivotMatch(result!, "minute", Object.fromEntries(fields), { relTolerance: 1e-12, completeFrom: fromMs + 60_000 });
      });

      await t.test("trades per minute: every trade per product and minute, from Superset's SQL and from Superset's own run", async () => {
        const expected = new Map([...candles].map(([k, c]) => [k, c.trades]));
        assertSeriesMatch(await run(await chartSql(tradesChart.yaml.uuid)), "minute", "trades", expected, 0, true);
        const [result] = await supersetData(tradesChart.yaml.uuid);
        assert.deepEqual(result!.colnames, ["minute", ...PRODUCTS]);
        assertPivotMatch(result!, "minute", { trades: expected }, {});
      });
    }
    assert.ok(clickhouseHttp.statements.length > 0, "Superset connected to ClickHouse");
    assert.ok(!clickhouseHttp.statements.includes("<auth failed>"), "always with the injected password");
  });

  test("the dashboard renders its four charts for the first product, with the Product filter, in a real browser", { skip: chromium ? false : "SKIPPED: no Chromium (apt-get install chromium, or set CHROMIUM_PATH)" }, async () => {
    const { chromium: playwright } = await import("playwright-core");
    const browser = await playwright.launch({ executablePath: chromium!, args: CHROMIUM_ARGS });
    const firstProduct = Object.keys(FIXTURE_PRODUCTS).sort()[0]!;
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const chartRequests: Array<{ status: number; at: number; sliceId: number | undefined; products: unknown }> = [];
      page.on("response", (response) => {
        const url = new URL(response.url());
        if (url.pathname !== "/api/v1/chart/data") return;
        const formData = url.searchParams.get("form_data");
        const sliceId = formData ? (JSON.parse(formData) as { slice_id?: number }).slice_id : undefined;
        chartRequests.push({ status: response.status(), at: Date.now(), sliceId, products: productFilterOf(response.request().postData()) });
      });
      // One retry of the sign-in: under load a submit has come back to /login/ once (CI, a
      // clean-clone run) with the same credentials that the REST API accepts throughout.
      for (let attempt = 1; ; attempt++) {
        await page.goto(`${server.url}/login/`);
        await page.fill("#username", server.username);
        await page.fill("#password", server.password);
        try {
          await Promise.all([page.waitForURL((u) => !u.pathname.startsWith("/login"), { timeout: 60_000 }), page.click('button[type="submit"]')]);
          break;
        } catch (err) {
          if (attempt === 2) throw err;
        }
      }

      const opened = Date.now();
      await page.goto(`${server.url}/superset/dashboard/${DASHBOARD_SLUG}/`);
      const charts = page.locator('[data-test="chart-grid-component"]');
      const chartCount = bundle.assets.charts.length;
      await page.locator('[data-test="chart-grid-component"] canvas').nth(chartCount - 1).waitFor({ timeout: 90_000 }); // every chart drawn
      assert.equal(await charts.count(), chartCount);
      assert.equal(chartCount, 4);
      for (const chart of bundle.assets.charts) await page.getByText(chart.yaml.slice_name, { exact: true }).first().waitFor();
      // The Product filter holds its default, the first product.
      const selected = page.getByText(firstProduct, { exact: true }).first();
      await selected.waitFor({ timeout: 30_000 });
      // Loaded; now wait past two 10 s refresh periods: every chart must be asked for again.
      await page.waitForTimeout(3_000);
      const loaded = Date.now();
      await page.waitForTimeout(25_000);
      // For people reading a CI run or reviewing a change, and (STREAMSTACK_SCREENSHOTS=1) for
      // docs/img: what the dashboard looks like.
      const png = await page.screenshot({ fullPage: true });
      for (const path of screenshotPaths("superset-dashboard.png")) writeFileSync(path, png);
      // The filter offers every product (opened after the picture: an open filter highlights its charts).
      await selected.click();
      const options = page.locator(".ant-select-item-option");
      await options.nth(Object.keys(FIXTURE_PRODUCTS).length - 1).waitFor({ timeout: 30_000 });
      assert.deepEqual((await options.allTextContents()).sort(), Object.keys(FIXTURE_PRODUCTS).sort());
      await page.keyboard.press("Escape");
      assert.equal(await page.locator('[data-test="chart-grid-component"] [role="alert"]').count(), 0, "no chart shows an error");
      assert.ok(chartRequests.length > 0 && chartRequests.every((r) => r.status === 200), `chart data requests: ${JSON.stringify(chartRequests)}`);
      // The charts waited for the filter's default: no chart asked for every product first. (The
      // filter's own request for its options has no slice id.)
      const chartIds = new Set(bundle.uuids.charts.map((u) => ids.get(u)));
      const asked = chartRequests.filter((r) => chartIds.has(r.sliceId)).map((r) => JSON.stringify(r.products));
      assert.deepEqual(new Set(asked), new Set([JSON.stringify([firstProduct])]), `every chart asked for ${firstProduct} only`);
      for (const uuid of bundle.uuids.charts) {
        const times = chartRequests.filter((r) => r.sliceId === ids.get(uuid)).map((r) => r.at);
        const refreshes = times.filter((at) => at > loaded);
        console.log(`# chart ${ids.get(uuid)} data requests at ${times.map((at) => `${((at - opened) / 1000).toFixed(1)} s`).join(", ")} after opening the dashboard`);
        assert.ok(refreshes.length >= 1, `chart ${ids.get(uuid)} was refreshed after loading (requests at ${times.map((at) => at - opened).join(", ")} ms)`);
      }
    } finally {
      await browser.close();
    }
  });

  test("a second import changes nothing", async () => {
    const before = await snapshot(bundle.uuids);
    await deployAssets(deployRequest());
    const afterImport = await snapshot(bundle.uuids);
    assert.deepEqual(afterImport, before);
  });

  test("an update deletes what the previous bundle had and the new one dropped, and only that", async () => {
    // A previous bundle with one more chart: import it, then deploy the current bundle with the
    // previous uuids, as the provider's update does.
    const extraUuid = assetUuid("chart:dropped-in-this-test");
    const base = bundle.assets.charts[2]!;
    const extraChart = stringify({ ...base.yaml, slice_name: "Dropped chart", uuid: extraUuid }, { lineWidth: 0 });
    const files = [...bundle.files].map(([path, content]) => ({ path: `${BUNDLE_ROOT}/${path}`, content }));
    files.push({ path: `${BUNDLE_ROOT}/charts/dropped_in_this_test.yaml`, content: extraChart });
    await client.importBundle(createZip(files), { [bundle.databaseFile]: CLICKHOUSE_PASSWORD });
    const extraId = await client.findId("chart", extraUuid);
    assert.ok(extraId, "the previous bundle's extra chart exists");

    const previous = { ...bundle.uuids, charts: [...bundle.uuids.charts, extraUuid] };
    const result = await deployAssets(deployRequest(), previous);
    assert.deepEqual(result.deletedUuids, [extraUuid]);
    assert.equal(await client.findId("chart", extraUuid), undefined);
    for (const uuid of bundle.uuids.charts) assert.equal(await client.findId("chart", uuid), ids.get(uuid), "the kept charts keep their ids");
  });

  test("bootstrap.sh is safe to run again on the same metadata database", () => {
    const rerun = server.rerunBootstrap();
    assert.equal(rerun.status, 0, rerun.output);
    assert.match(rerun.output, /superset init/);
  });

  test("delete removes every imported object and nothing else", async () => {
    const countsBefore = await Promise.all((["database", "dataset", "chart", "dashboard"] as const).map(async (k) => (await client.getJson<{ count: number }>(`/api/v1/${k}/?q=(page_size:1)`)).count));
    const deleted = await removeAssets({ url: server.url, username: server.username, password: server.password }, bundle.uuids);
    assert.equal(deleted.length, 1 + bundle.uuids.datasets.length + bundle.uuids.charts.length + bundle.uuids.dashboards.length);
    for (const uuid of bundle.uuids.charts) assert.equal(await client.findId("chart", uuid), undefined);
    for (const uuid of bundle.uuids.datasets) assert.equal(await client.findId("dataset", uuid), undefined);
    assert.equal(await client.findId("dashboard", bundle.uuids.dashboards[0]!), undefined);
    assert.equal(await client.findId("database", bundle.uuids.database), undefined);
    const countsAfter = await Promise.all((["database", "dataset", "chart", "dashboard"] as const).map(async (k) => (await client.getJson<{ count: number }>(`/api/v1/${k}/?q=(page_size:1)`)).count));
    assert.deepEqual(countsAfter, [countsBefore[0]! - 1, countsBefore[1]! - bundle.uuids.datasets.length, countsBefore[2]! - bundle.uuids.charts.length, countsBefore[3]! - 1]);
    assert.deepEqual(await removeAssets({ url: server.url, username: server.username, password: server.password }, bundle.uuids), [], "deleting again is a no-op");
  });
});

/** The product_id IN (…) values of a chart-data request body (what the native filter sent), or null. */
function productFilterOf(body: string | null): unknown {
  const queries = body ? (JSON.parse(body) as { queries?: Array<{ filters?: Array<{ col: unknown; op: string; val: unknown }> }> }).queries : undefined;
  return queries?.[0]?.filters?.find((f) => f.col === "product_id" && f.op === "IN")?.val ?? null;
}

/**
 * Rows from a chart query (time column, product_id, metric) against expected values keyed by
 * product@bucket-ms: every expected point present and equal within a relative tolerance, and
 * every other row's metric empty (NULL) or zero. `exact` compares numbers with ===.
 */
function assertSeriesMatch(rows: Array<Record<string, unknown>>, timeColumn: string, metric: string, expected: Map<string, number>, relTolerance: number, exact = false, absTolerance = 0): void {
  const seen = new Set<string>();
  for (const row of rows) {
    assert.ok(String(row.product_id) in FIXTURE_PRODUCTS, `unexpected product ${String(row.product_id)}`);
    const k = seriesKey(String(row.product_id), parseUtc(String(row[timeColumn])));
    assert.ok(!seen.has(k), `one row per product and bucket (${k} twice)`);
    seen.add(k);
    const want = expected.get(k);
    const got = row[metric] === null ? null : Number(row[metric]);
    if (want === undefined) {
      assert.ok(got === null || got === 0, `${metric} at ${k} is ${got}, expected no value`);
      continue;
    }
    assert.ok(got !== null, `${metric} at ${k} missing (expected ${want})`);
    if (exact) assert.equal(got, want, `${metric} at ${k}`);
    else assert.ok(Math.abs(got - want) <= relTolerance * Math.abs(want) + absTolerance, `${metric} at ${k}: ${got} vs ${want}`);
  }
  for (const k of expected.keys()) assert.ok(seen.has(k), `expected a ${metric} row for ${k}`);
}

/**
 * A chart data result as Superset returns it after its pivot (a time column in epoch ms, then one
 * column per series: the product for a chart's single metric, "metric, product" for several, the
 * metric alone for a chart without a product group-by, whose product is then `options.product`)
 * against expected values per metric keyed by product@time-ms: every value plotted equals its
 * expected value (relative plus absolute tolerance), every point without one is empty or 0, and
 * every expected point at or after `completeFrom` is plotted.
 */
function assertPivotMatch(
  result: ChartDataResult,
  timeColumn: string,
  expected: Record<string, ReadonlyMap<string, number>>,
  options: { relTolerance?: number; absTolerance?: number; completeFrom?: number; product?: string },
): void {
  const { relTolerance = 0, absTolerance = 0, completeFrom = -Infinity } = options;
  const metrics = Object.keys(expected);
  const plotted = new Map(metrics.map((m) => [m, new Set<string>()]));
  for (const column of result.colnames.filter((c) => c !== timeColumn)) {
    const [metric, product] = column.includes(", ") ? column.split(", ") : options.product ? [column, options.product] : [metrics[0]!, column];
    assert.ok(metric! in expected && product! in FIXTURE_PRODUCTS, `unexpected series ${column}`);
    for (const row of result.data) {
      const k = seriesKey(product!, Number(row[timeColumn]));
      const want = expected[metric!]!.get(k);
      const got = row[column];
      if (want === undefined) {
        assert.ok(got === null || got === undefined || got === 0, `${column} at ${k}: ${got}, expected no value`);
        continue;
      }
      assert.ok(typeof got === "number" && Math.abs(got - want) <= relTolerance * Math.abs(want) + absTolerance, `${column} at ${k}: ${got} vs ${want}`);
      plotted.get(metric!)!.add(k);
    }
  }
  for (const metric of metrics) {
    const missing = [...expected[metric]!.keys()].filter((k) => Number(k.split("@")[1]) >= completeFrom && !plotted.get(metric)!.has(k));
    assert.deepEqual(missing, [], `every expected ${metric} point plotted`);
  }
}
