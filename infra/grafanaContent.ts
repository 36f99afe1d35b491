// Dashboards, alert rules and alert routing from grafana/, in the shapes the Grafana component takes.
import { buildAlertRuleGroups, buildContactPoint, buildDashboards, buildNotificationPolicy } from "../grafana/src";
import type { AlertRuleGroupSpec, DashboardSpec, GrafanaAlertRouting } from "./components/grafana";

export interface GrafanaContent {
  readonly dashboards: DashboardSpec[];
  readonly alertRuleGroups: AlertRuleGroupSpec[];
  /** Undefined when no alert contact is configured: nothing external is contacted. */
  readonly alertRouting?: GrafanaAlertRouting;
}

export interface GrafanaContentOptions {
  /** uid of the ClickHouse datasource every panel and rule queries. */
  readonly datasourceUid: string;
  readonly alertWebhookUrl?: string;
  readonly alertEmail?: string;
}

export function grafanaContent(options: GrafanaContentOptions): GrafanaContent {
  const dashboards = buildDashboards({ datasourceUid: options.datasourceUid }).map((d) => ({ uid: d.uid, model: d.json }));
  const alertRuleGroups = buildAlertRuleGroups({ datasourceUid: options.datasourceUid }).map((g) => ({
    name: g.name,
    intervalSeconds: g.intervalSeconds,
    rules: g.rules,
  }));
  const contactPoint = buildContactPoint({ webhookUrl: options.alertWebhookUrl, email: options.alertEmail });
  const alertRouting = contactPoint ? { contactPoint, notificationPolicy: buildNotificationPolicy({ contactPointName: contactPoint.name }) } : undefined;
  return { dashboards, alertRuleGroups, alertRouting };
}
