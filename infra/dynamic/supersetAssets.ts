// SupersetAssets: the Superset database connection, datasets, charts and dashboard as one
// Pulumi resource (a dynamic resource; create/update import the bundle, delete removes it).
// The bundle itself is content and lives in superset/src/ (bundle.ts); this file and
// supersetAssetsProvider.ts are only the Pulumi side of it.
//
// Pulumi serializes a dynamic provider's functions into the state and runs them in a separate
// node process (pulumi-resource-pulumi-nodejs) with another working directory, where .ts files
// only load once tsx is registered. So the provider here captures nothing but two absolute paths
// (strings) and, inside each method, registers tsx and requires supersetAssetsProvider.ts from
// disk: the same shell as our other dynamic providers (lazyProvider.ts).
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { DATABASE } from "../../sql/src/names";
import { assetsChecksum, type AssetUuids } from "../../superset/src/bundle";
import { lazyProvider } from "./lazyProvider";

export interface SupersetAssetsArgs {
  /** Superset's base URL as the machine running `pulumi up` reaches it, e.g. http://127.0.0.1:8088. */
  readonly supersetUrl: pulumi.Input<string>;
  /** Superset admin user the importer logs in as. */
  readonly adminUser: pulumi.Input<string>;
  /** Its password (kept secret in the state). */
  readonly adminPassword: pulumi.Input<string>;
  /** ClickHouse host as Superset reaches it (the container name on the Docker network). */
  readonly clickhouseHost: pulumi.Input<string>;
  /** ClickHouse HTTP port as Superset reaches it (8123). */
  readonly clickhousePort: pulumi.Input<number>;
  /** The read-only user Superset queries with (streamstack_superset). */
  readonly clickhouseUser: pulumi.Input<string>;
  /** Its password: sent to Superset at import time, never written into the bundle; secret in the state. */
  readonly clickhousePassword: pulumi.Input<string>;
  /** Database the connection opens (default DATABASE, sql/src/names.ts). */
  readonly clickhouseDatabase?: pulumi.Input<string>;
  /** Override of assetsChecksum() (tests); a new value forces a re-import. */
  readonly bundleChecksum?: pulumi.Input<string>;
}

export class SupersetAssets extends pulumi.dynamic.Resource {
  // `declare`: with target ES2022 a plain field declaration is a class field initialised to
  // undefined after super() returns, wiping the output Pulumi has just set.
  /** Object UUIDs in Superset (what delete removes). */
  declare public readonly uuids: pulumi.Output<AssetUuids>;
  /** sha256 of the bundle last imported. */
  declare public readonly importedChecksum: pulumi.Output<string>;
  /** The dashboard, under supersetUrl. */
  declare public readonly dashboardUrl: pulumi.Output<string>;

  constructor(name: string, args: SupersetAssetsArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(
      lazyProvider(path.join(__dirname, "supersetAssetsProvider.ts")),
      name,
      {
        supersetUrl: args.supersetUrl,
        adminUser: args.adminUser,
        adminPassword: pulumi.secret(args.adminPassword),
        clickhouseHost: args.clickhouseHost,
        clickhousePort: args.clickhousePort,
        clickhouseUser: args.clickhouseUser,
        clickhousePassword: pulumi.secret(args.clickhousePassword),
        clickhouseDatabase: args.clickhouseDatabase ?? DATABASE,
        bundleChecksum: args.bundleChecksum ?? assetsChecksum(),
        uuids: undefined,
        importedChecksum: undefined,
        dashboardUrl: undefined,
      },
      {
        ...opts,
        // Outputs repeat the inputs (delete needs the admin login): keep the passwords secret there too.
        additionalSecretOutputs: [...(opts.additionalSecretOutputs ?? []), "adminPassword", "clickhousePassword"],
      },
      "streamstack",
      "SupersetAssets",
    );
  }
}
