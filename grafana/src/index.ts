// streamstack's Grafana content as code: dashboards, alert rules, contact point and policy.
export { buildDashboards, dashboardDefinitions, DashboardOptionsSchema, type BuiltDashboard, type DashboardOptions } from "./dashboards";
export { INGESTION_DASHBOARD_UID } from "./dashboards/ingestion";
export { MARKET_DASHBOARD_UID } from "./dashboards/market";
export { alertSpecs, buildAlertRuleGroups, AlertOptionsSchema, EXPRESSION_DATASOURCE_UID, type AlertOptions, type AlertRuleGroup } from "./alerts";
export { buildContactPoint, buildNotificationPolicy, CONTACT_POINT_NAME, type ContactPointShape, type NotificationPolicyShape } from "./notifications";
export { CLICKHOUSE_PLUGIN_ID } from "./clickhouseQuery";
