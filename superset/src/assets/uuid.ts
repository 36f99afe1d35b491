// UUIDs derived from stable names, so re-imports overwrite the same objects (Superset's import
// matches on uuid).
import { createHash } from "node:crypto";

/** Namespace for this project's asset UUIDs (UUID v5, RFC 9562 §5.5). */
const UUID_NAMESPACE = "6f1d3c2e-9a57-4c1b-8e0b-2f6a9d4c7b10";

export function assetUuid(name: string): string {
  const ns = Buffer.from(UUID_NAMESPACE.replace(/-/g, ""), "hex");
  const hash = createHash("sha1").update(ns).update(name, "utf8").digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
