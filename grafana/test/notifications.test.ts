// Contact point and notification policy shapes: nothing external unless configured, config errors
// name the bad value, and the shapes are what grafana.alerting.ContactPoint/NotificationPolicy take.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type * as grafana from "@pulumiverse/grafana";
import { buildContactPoint, buildNotificationPolicy, CONTACT_POINT_NAME } from "../src/notifications";

describe("buildContactPoint", () => {
  test("returns nothing when neither a webhook nor an email is configured", () => {
    assert.equal(buildContactPoint({}), undefined);
    assert.equal(buildContactPoint({ email: [] }), undefined);
  });

  test("a webhook only", () => {
    const cp = buildContactPoint({ webhookUrl: "https://hooks.example.com/grafana" })!;
    const args: grafana.alerting.ContactPointArgs = cp;
    assert.equal(args.name, CONTACT_POINT_NAME);
    assert.deepEqual(cp.webhooks, [{ url: "https://hooks.example.com/grafana", httpMethod: "POST", disableResolveMessage: false }]);
    assert.equal(cp.emails, undefined);
  });

  test("emails, one or several", () => {
    assert.deepEqual(buildContactPoint({ email: "ops@example.com" })!.emails![0]!.addresses, ["ops@example.com"]);
    const cp = buildContactPoint({ email: ["a@example.com", "b@example.org"], webhookUrl: "http://alerts.internal:9000/hook", name: "oncall" })!;
    assert.equal(cp.name, "oncall");
    assert.deepEqual(cp.emails![0]!.addresses, ["a@example.com", "b@example.org"]);
    assert.equal(cp.webhooks!.length, 1);
  });

  test("bad values are refused with the key and an example", () => {
    assert.throws(() => buildContactPoint({ email: ["ops@example.com", "not-an-address"] }), /email\[1\] "not-an-address".*ops@example.com/);
    assert.throws(() => buildContactPoint({ webhookUrl: "ftp://x.example.com" }), /webhookUrl.*https:\/\//);
    assert.throws(() => buildContactPoint({ webhookUrl: "hooks.example.com" }), /webhookUrl/);
  });
});

describe("buildNotificationPolicy", () => {
  test("routes everything to the contact point, grouped per rule, critical streamstack alerts repeating hourly", () => {
    const policy = buildNotificationPolicy({ contactPointName: "streamstack" });
    const args: grafana.alerting.NotificationPolicyArgs = policy;
    assert.equal(args.contactPoint, "streamstack");
    assert.deepEqual(policy.groupBies, ["grafana_folder", "alertname"]);
    assert.equal(policy.policies.length, 1);
    assert.deepEqual(policy.policies[0]!.matchers, [
      { label: "service", match: "=", value: "streamstack" },
      { label: "severity", match: "=", value: "critical" },
    ]);
    assert.equal(policy.policies[0]!.repeatInterval, "1h");
  });

  test("refuses an empty contact point and a malformed interval", () => {
    assert.throws(() => buildNotificationPolicy({ contactPointName: "" }), /contactPointName/);
    assert.throws(() => buildNotificationPolicy({ contactPointName: "x", criticalRepeatInterval: "hourly" }), /criticalRepeatInterval "hourly"/);
  });
});
