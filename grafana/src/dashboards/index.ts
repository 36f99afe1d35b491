// buildDashboards: the Ingestion and Market dashboards as Grafana JSON, for the infra helper to
// pass to grafana.oss.Dashboard({ configJson: JSON.stringify(json) }).
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { z } from "zod";
import { loadQuery } from "../../../sql/src/queries";
import { buildPanel, productVariable, type PanelSpec } from "./common";
import { INGESTION_DASHBOARD_UID, ingestionSections, type DashboardSection } from "./ingestion";
import { MARKET_DASHBOARD_UID, marketSections } from "./market";

export const DashboardOptionsSchema = z.object({
  /** uid of the ClickHouse datasource (grafana.oss.DataSource `uid`). */
  datasourceUid: z
    .string()
    .regex(/^[a-zA-Z0-9_-]{1,40}$/, "datasourceUid must be 1-40 letters, digits, '-' or '_' (Grafana's uid rule)"),
  /** Dashboard auto-refresh; Grafana's min_refresh_interval (5s by default) still applies. */
  refresh: z.string().regex(/^\d+[smhd]$/, 'refresh is like "30s" or "1m"').default("30s"),
});
export type DashboardOptions = z.input<typeof DashboardOptionsSchema>;

export interface BuiltDashboard {
  readonly uid: string;
  readonly title: string;
  readonly json: dashboard.Dashboard;
}

export interface DashboardDefinition {
  readonly uid: string;
  readonly title: string;
  readonly tags: readonly string[];
  readonly time: { from: string; to: string };
  readonly sections: readonly DashboardSection[];
}

/** What each dashboard contains, before it is turned into JSON (tests and docs read this). */
export function dashboardDefinitions(): DashboardDefinition[] {
  return [
    { uid: INGESTION_DASHBOARD_UID, title: "streamstack / Ingestion", tags: ["streamstack", "ingestion"], time: { from: "now-3h", to: "now" }, sections: ingestionSections() },
    { uid: MARKET_DASHBOARD_UID, title: "streamstack / Market", tags: ["streamstack", "market"], time: { from: "now-24h", to: "now" }, sections: marketSections() },
  ];
}

export function allPanels(definition: DashboardDefinition): PanelSpec[] {
  return definition.sections.flatMap((s) => s.panels);
}

export function buildDashboards(options: DashboardOptions): BuiltDashboard[] {
  const opts = parseOptions(options);
  const productsSql = loadQuery("product_ids").sql;
  return dashboardDefinitions().map((definition) => {
    const builder = new dashboard.DashboardBuilder(definition.title)
      .uid(definition.uid)
      .tags([...definition.tags])
      .refresh(opts.refresh)
      .time(definition.time)
      .timezone("browser")
      .tooltip(dashboard.DashboardCursorSync.Crosshair)
      .withVariable(productVariable(opts.datasourceUid, productsSql));
    for (const section of definition.sections) {
      const row = new dashboard.RowBuilder(section.title).id(section.rowId);
      if (section.repeat) row.repeat(section.repeat);
      if (section.collapsed) {
        // A collapsed row holds its panels (Grafana strips panels from an open row's own list).
        row.collapsed(true);
        for (const panel of section.panels) row.withPanel(buildPanel(panel, opts.datasourceUid));
        builder.withRow(row);
      } else {
        builder.withRow(row);
        for (const panel of section.panels) builder.withPanel(buildPanel(panel, opts.datasourceUid));
      }
    }
    return { uid: definition.uid, title: definition.title, json: builder.build() };
  });
}

function parseOptions(options: DashboardOptions) {
  const parsed = DashboardOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`buildDashboards: ${issue.path.join(".") || "options"}: ${issue.message}`);
  }
  return parsed.data;
}
