// Where alerts go: a contact point and the notification policy tree, in the @pulumiverse/grafana
// ContactPoint / NotificationPolicy input shapes, filled from stack config by the infra helper.
// Nothing external is contacted unless configured: with neither a webhook nor an email address,
// buildContactPoint returns undefined and the infra helper creates neither resource, leaving
// Grafana's default policy (alerts still show in Grafana's alert list).
import type * as pulumi from "@pulumi/pulumi";
import type * as inputs from "@pulumiverse/grafana/types/input";
import { z } from "zod";

export const CONTACT_POINT_NAME = "streamstack";

/** The part of grafana.alerting.ContactPointArgs this project fills. */
export interface ContactPointShape {
  readonly name: string;
  readonly webhooks?: inputs.alerting.ContactPointWebhook[];
  readonly emails?: inputs.alerting.ContactPointEmail[];
}

export interface ContactPointOptions {
  /** Webhook receiving Grafana's alert JSON (may carry a token: pass it as a Pulumi secret). */
  readonly webhookUrl?: pulumi.Input<string>;
  /** Email recipients; Grafana needs SMTP configured (GF_SMTP_*) to send them. */
  readonly email?: string | readonly string[];
  readonly name?: string;
}

const EmailSchema = z.string().regex(/^[^@\s]+@[^@\s]+\.[^@\s]+$/, "is not an email address");
const WebhookUrlSchema = z.string().url().refine((u) => /^https?:\/\//.test(u), "must start with http:// or https://");

export function buildContactPoint(options: ContactPointOptions): ContactPointShape | undefined {
  const emails = options.email === undefined ? [] : typeof options.email === "string" ? [options.email] : [...options.email];
  emails.forEach((address, i) => {
    const parsed = EmailSchema.safeParse(address);
    if (!parsed.success) throw new Error(`buildContactPoint: email[${i}] "${address}" ${parsed.error.issues[0]!.message}: give addresses like ops@example.com`);
  });
  // A secret or computed URL cannot be checked here; a plain string can.
  if (typeof options.webhookUrl === "string") {
    const parsed = WebhookUrlSchema.safeParse(options.webhookUrl);
    if (!parsed.success) throw new Error(`buildContactPoint: webhookUrl ${parsed.error.issues[0]!.message}: give the full URL, e.g. https://hooks.example.com/grafana`);
  }
  if (options.webhookUrl === undefined && emails.length === 0) return undefined;
  return {
    name: options.name ?? CONTACT_POINT_NAME,
    ...(options.webhookUrl !== undefined ? { webhooks: [{ url: options.webhookUrl, httpMethod: "POST", disableResolveMessage: false }] } : {}),
    ...(emails.length > 0 ? { emails: [{ addresses: emails, singleEmail: true, disableResolveMessage: false }] } : {}),
  };
}

/** The part of grafana.alerting.NotificationPolicyArgs this project fills (the whole tree). */
export interface NotificationPolicyShape {
  readonly contactPoint: string;
  readonly groupBies: string[];
  readonly groupWait: string;
  readonly groupInterval: string;
  readonly repeatInterval: string;
  readonly policies: inputs.alerting.NotificationPolicyPolicy[];
}

export interface NotificationPolicyOptions {
  /** Name of the contact point (ContactPointShape.name). */
  readonly contactPointName: string;
  /** Re-send a still-firing critical alert this often (Grafana's default is 4h). */
  readonly criticalRepeatInterval?: string;
}

const DurationSchema = z.string().regex(/^\d+[smhd]$/, 'is not a duration like "30s", "5m" or "4h"');

/**
 * NotificationPolicy owns Grafana's whole policy tree: this replaces the default one. Everything
 * goes to the given contact point, grouped per rule; critical streamstack alerts repeat sooner.
 */
export function buildNotificationPolicy(options: NotificationPolicyOptions): NotificationPolicyShape {
  if (!options.contactPointName) throw new Error("buildNotificationPolicy: contactPointName is empty: pass the contact point's name");
  const criticalRepeat = options.criticalRepeatInterval ?? "1h";
  const parsed = DurationSchema.safeParse(criticalRepeat);
  if (!parsed.success) throw new Error(`buildNotificationPolicy: criticalRepeatInterval "${criticalRepeat}" ${parsed.error.issues[0]!.message}`);
  return {
    contactPoint: options.contactPointName,
    groupBies: ["grafana_folder", "alertname"],
    groupWait: "30s",
    groupInterval: "5m",
    repeatInterval: "4h",
    policies: [
      {
        contactPoint: options.contactPointName,
        matchers: [
          { label: "service", match: "=", value: "streamstack" },
          { label: "severity", match: "=", value: "critical" },
        ],
        groupBies: ["grafana_folder", "alertname"],
        repeatInterval: criticalRepeat,
      },
    ],
  };
}
