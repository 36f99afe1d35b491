// Dashboards and alert rules from grafana/, in the shapes the Grafana component takes.
import type { AlertRuleGroupSpec, DashboardSpec } from "./components/grafana";

export interface GrafanaContent {
  readonly dashboards: DashboardSpec[];
  readonly alertRuleGroups: AlertRuleGroupSpec[];
}

export function grafanaContent(): GrafanaContent {
  return { dashboards: [], alertRuleGroups: [] };
}
