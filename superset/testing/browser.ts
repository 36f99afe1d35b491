// Test helper: a Chromium for driving Superset's own front end with playwright-core. Optional:
// tests that need it skip with the reason when no browser is installed (Debian: apt-get install
// chromium; or point CHROMIUM_PATH at one). And where the browser check's screenshots go.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable"];
const REPO = join(__dirname, "..", "..");

export function findChromium(): string | undefined {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) return existsSync(configured) ? configured : undefined;
  return CANDIDATES.find((path) => existsSync(path));
}

/** Flags for a headless run as root in a container, without network side trips. */
export const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** Set to 1 to also write the screenshots the docs show (docs/img/), ready to commit. */
export const SCREENSHOTS_ENV = "STREAMSTACK_SCREENSHOTS";

/**
 * Where a screenshot named `name` is written: always `.cache/<name>` (git-ignored, for a CI run or
 * a review), and `docs/img/<name>` too when STREAMSTACK_SCREENSHOTS=1.
 */
export function screenshotPaths(name: string): string[] {
  const dirs = [join(REPO, ".cache")];
  if (process.env[SCREENSHOTS_ENV] === "1") dirs.push(join(REPO, "docs", "img"));
  for (const dir of dirs) mkdirSync(dir, { recursive: true });
  return dirs.map((dir) => join(dir, name));
}
