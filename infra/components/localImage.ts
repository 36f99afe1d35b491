import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

export interface LocalImageArgs {
  /** Image repository on the host, e.g. streamstack-dev-ingester; the tag is the sources' content hash. */
  readonly repository: string;
  /** Build context (absolute path). */
  readonly context: string;
  /** Dockerfile (absolute path). */
  readonly dockerfile: string;
  /** Files and folders (relative to context) whose content decides the tag; default: the whole context. */
  readonly sources?: readonly string[];
  /**
   * With `sources`: copy just those files (and the Dockerfile) into `<stageUnder>/<repository>-<hash>`
   * and build from there, so nothing else of the context reaches the Docker daemon.
   */
  readonly stageUnder?: string;
}

/** Never part of an image's identity. */
const SKIP = new Set(["node_modules", ".git", "dist", ".pulumi-state", ".cache", "__pycache__", ".venv", "spool", "data"]);

/**
 * An image built from local sources, tagged with a hash of those sources, and removed from the
 * host on destroy. docker.Image builds it but never deletes tags (its docs say so); the
 * RemoteImage over the same tag (keepLocally false) finds it locally instead of pulling and
 * deletes it when the stack goes. A source change gives a new tag, so the container is replaced
 * and the old image removed.
 */
export class LocalImage extends pulumi.ComponentResource {
  public readonly build: docker.Image;
  public readonly image: docker.RemoteImage;
  /** `repository:hash`. */
  public readonly imageName: string;
  /** The image id, for a container's `image`. */
  public readonly imageId: pulumi.Output<string>;

  constructor(name: string, args: LocalImageArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("streamstack:infra:LocalImage", name, {}, opts);
    if (!/^[a-z0-9]+([._-][a-z0-9]+)*$/.test(args.repository)) {
      throw new Error(`[repository] "${args.repository}" is not a valid local image name (lower-case letters, digits, . _ -)`);
    }
    const dockerfile = relative(args.context, args.dockerfile);
    const sources = [dockerfile, ...(args.sources ?? ["."])];
    const tag = contentHash(args.context, sources);
    this.imageName = `${args.repository}:${tag}`;
    // docker.Image reads only <context>/.dockerignore (or <name>.dockerignore for a Dockerfile not
    // called "Dockerfile"), never ingest/Dockerfile.dockerignore (pulumi-docker provider/image.go,
    // mapDockerignore): a repository-root context would ship node_modules and .pulumi-state.
    const context = args.stageUnder && args.sources ? stageContext(args.context, sources, join(args.stageUnder, `${args.repository}-${tag}`)) : args.context;
    this.build = new docker.Image(
      `${name}-build`,
      { imageName: this.imageName, skipPush: true, build: { context, dockerfile: join(context, dockerfile) } },
      { parent: this },
    );
    this.image = new docker.RemoteImage(
      `${name}-local`,
      { name: this.imageName, keepLocally: false, forceRemove: true },
      { parent: this, dependsOn: [this.build] },
    );
    this.imageId = this.image.imageId;
    this.registerOutputs({ imageName: this.imageName, imageId: this.imageId });
  }
}

/** sha256 over the relative paths and contents of the given files and folders (12 hex characters). */
export function contentHash(root: string, paths: readonly string[]): string {
  const files: string[] = [];
  for (const p of paths) collect(root, join(root, p), files);
  const hash = createHash("sha256");
  for (const file of [...new Set(files)].sort()) {
    hash.update(relative(root, file)).update("\0").update(readFileSync(file)).update("\0");
  }
  return hash.digest("hex").slice(0, 12);
}

function collect(root: string, path: string, out: string[]): void {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new Error(`[sources] ${relative(root, path) || path} does not exist under ${root}: list files or folders of the build context`);
  }
  if (st.isFile()) {
    out.push(path);
    return;
  }
  for (const entry of readdirSync(path)) {
    if (SKIP.has(entry)) continue;
    collect(root, join(path, entry), out);
  }
}

/**
 * Copies `paths` (relative to root; folders recursively, skipping node_modules and the like) into
 * `target`, unless it is already there from an earlier run (the name carries the content hash).
 */
export function stageContext(root: string, paths: readonly string[], target: string): string {
  if (existsSync(target)) return target;
  const partial = `${target}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  for (const p of paths) {
    mkdirSync(dirname(join(partial, p)), { recursive: true });
    cpSync(join(root, p), join(partial, p), { recursive: true, filter: (src) => !SKIP.has(src.slice(src.lastIndexOf("/") + 1)) });
  }
  mkdirSync(dirname(target), { recursive: true });
  renameSync(partial, target);
  return target;
}
