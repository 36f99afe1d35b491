// The SupersetAssets dynamic provider's implementation. It runs in Pulumi's provider process
// (loaded from disk by the shell in supersetAssets.ts), so it may import freely.
// create = import; update = import (overwrite) + delete what the new bundle dropped;
// delete = delete every object the last import made.
import type * as pulumi from "@pulumi/pulumi";
import { DATABASE } from "../../sql/src/names";
import { DASHBOARD_SLUG } from "../../superset/src/assets";
import type { AssetUuids } from "../../superset/src/bundle";
import { deployAssets, removeAssets } from "../../superset/src/deploy";

export interface SupersetAssetsInputs {
  readonly supersetUrl: string;
  readonly adminUser: string;
  readonly adminPassword: string;
  readonly clickhouseHost: string;
  readonly clickhousePort: number;
  readonly clickhouseUser: string;
  readonly clickhousePassword: string;
  readonly clickhouseDatabase: string;
  /** sha256 of the asset definitions (assetsChecksum()): a new value re-imports. */
  readonly bundleChecksum: string;
}

export interface SupersetAssetsOutputs extends SupersetAssetsInputs {
  /** sha256 of the bundle actually imported (connection included). */
  readonly importedChecksum: string;
  readonly uuids: AssetUuids;
  readonly dashboardUrl: string;
}

const KEYS = [
  "supersetUrl",
  "adminUser",
  "adminPassword",
  "clickhouseHost",
  "clickhousePort",
  "clickhouseUser",
  "clickhousePassword",
  "clickhouseDatabase",
  "bundleChecksum",
] as const;

export function checkInputs(news: Partial<SupersetAssetsInputs>): pulumi.dynamic.CheckFailure[] {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  try {
    const url = new URL(String(news.supersetUrl ?? ""));
    if (url.protocol !== "http:" && url.protocol !== "https:") fail("supersetUrl", `supersetUrl "${news.supersetUrl}" must be http(s)://host:port`);
    if (url.username || url.password) fail("supersetUrl", "supersetUrl carries a login: it is stored in plaintext; pass adminUser/adminPassword instead");
  } catch {
    fail("supersetUrl", `supersetUrl "${news.supersetUrl}" is not a URL: expected e.g. http://127.0.0.1:8088`);
  }
  for (const key of ["adminUser", "adminPassword", "clickhouseHost", "clickhouseUser", "clickhousePassword", "clickhouseDatabase"] as const) {
    if (typeof news[key] !== "string" || news[key].length === 0) fail(key, `${key} is empty`);
  }
  const port = news.clickhousePort;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
    fail("clickhousePort", `clickhousePort is ${JSON.stringify(port)}: give ClickHouse's HTTP port as Superset reaches it (8123 by default)`);
  }
  if (typeof news.bundleChecksum !== "string" || !/^[0-9a-f]{64}$/.test(news.bundleChecksum)) {
    fail("bundleChecksum", "bundleChecksum must be the sha256 hex from assetsChecksum()");
  }
  return failures;
}

export function changedKeys(olds: Partial<SupersetAssetsInputs>, news: Partial<SupersetAssetsInputs>): string[] {
  return KEYS.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
}

async function deploy(inputs: SupersetAssetsInputs, previous?: AssetUuids): Promise<SupersetAssetsOutputs> {
  try {
    const result = await deployAssets(
      {
        superset: { url: inputs.supersetUrl, username: inputs.adminUser, password: inputs.adminPassword },
        clickhouse: { host: inputs.clickhouseHost, port: inputs.clickhousePort, username: inputs.clickhouseUser, database: inputs.clickhouseDatabase },
        clickhousePassword: inputs.clickhousePassword,
      },
      previous,
    );
    const base = new URL(inputs.supersetUrl).origin;
    return { ...inputs, importedChecksum: result.checksum, uuids: result.uuids, dashboardUrl: `${base}/superset/dashboard/${DASHBOARD_SLUG}/` };
  } catch (err) {
    throw new Error(`SupersetAssets could not import the assets into ${inputs.supersetUrl}: ${(err as Error).message}`);
  }
}

export const provider: pulumi.dynamic.ResourceProvider = {
  async check(_olds, news: SupersetAssetsInputs) {
    const normalized = { ...news, clickhouseDatabase: news.clickhouseDatabase || DATABASE };
    return { inputs: normalized, failures: checkInputs(normalized) };
  },
  async diff(_id, olds: SupersetAssetsOutputs, news: SupersetAssetsInputs) {
    const changed = changedKeys(olds, news);
    // Another Superset is another set of objects: import there, then delete from the old one.
    return { changes: changed.length > 0, replaces: changed.filter((k) => k === "supersetUrl") };
  },
  async create(inputs: SupersetAssetsInputs) {
    const outs = await deploy(inputs);
    return { id: `streamstack-assets@${new URL(inputs.supersetUrl).host}`, outs };
  },
  async update(_id, olds: SupersetAssetsOutputs, news: SupersetAssetsInputs) {
    return { outs: await deploy(news, olds.uuids) };
  },
  async delete(_id, props: SupersetAssetsOutputs) {
    if (!props.uuids) return;
    try {
      await removeAssets({ url: props.supersetUrl, username: props.adminUser, password: props.adminPassword }, props.uuids, { readyTimeoutMs: 30_000 });
    } catch (err) {
      throw new Error(
        `SupersetAssets could not delete its objects from ${props.supersetUrl}: ${(err as Error).message}. ` +
          `If that Superset is gone for good, remove the resource from the state: pulumi state delete <urn>.`,
      );
    }
  },
};
