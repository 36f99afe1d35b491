// Finds files ending in `suffix` under the given repo-relative paths (files or folders),
// skipping node_modules, dist and dot-folders. Used by the test and bench runners.
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

export const repoRoot = new URL("..", import.meta.url).pathname;

export function findFiles(paths, suffix) {
  const out = [];
  const visit = (path) => {
    const full = join(repoRoot, path);
    let st;
    try {
      st = statSync(full);
    } catch {
      return;
    }
    if (st.isFile()) {
      if (full.endsWith(suffix)) out.push(relative(repoRoot, full));
      return;
    }
    for (const entry of readdirSync(full)) {
      if (entry === "node_modules" || entry === "dist" || entry.startsWith(".")) continue;
      visit(join(path, entry));
    }
  };
  for (const p of paths) visit(p);
  return out.sort();
}
