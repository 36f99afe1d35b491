// The schema step of a deploy: numbered migrations, roles/profiles and users, raw-data TTL.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { UserRole } from "../../sql/src/access";
import { lazyProvider } from "./lazyProvider";
import { schemaChecksum } from "./schemaChecksum";

export interface SchemaMigrationsUser {
  readonly name: pulumi.Input<string>;
  readonly role: pulumi.Input<UserRole>;
  /** At least 16 characters; pass a secret. */
  readonly password: pulumi.Input<string>;
}

export interface SchemaMigrationsArgs {
  /** `http(s)://host:port` of ClickHouse's HTTP interface, or `chdb:<dir>` for the embedded engine. */
  readonly clickhouseUrl: pulumi.Input<string>;
  /** A user that may run DDL (and CREATE USER/GRANT when manageAccess is on). */
  readonly adminUser: pulumi.Input<string>;
  /** That user's password (secret). */
  readonly adminPassword: pulumi.Input<string>;
  /** Users to create or bring up to date (ignored when manageAccess is false). */
  readonly users?: pulumi.Input<pulumi.Input<SchemaMigrationsUser>[]>;
  /** Apply roles, profiles and users (default true). Off where CREATE USER is forbidden, e.g. the embedded engine. */
  readonly manageAccess?: pulumi.Input<boolean>;
  /** Days of raw ticks to keep; 0 keeps them forever (default 0). */
  readonly rawRetentionDays?: pulumi.Input<number>;
  /** sha256 over sql/migrations + sql/access (default: computed from the files on disk). */
  readonly migrationsChecksum?: pulumi.Input<string>;
  /** Drop the database when this resource is deleted (default false: `destroy` leaves the data). */
  readonly dropData?: pulumi.Input<boolean>;
}

export class SchemaMigrations extends pulumi.dynamic.Resource {
  /** The database the migrations manage (`coinbase_demo`). */
  public declare readonly database: pulumi.Output<string>;
  /** Every applied migration, in order, as recorded in the ledger. */
  public declare readonly migrations: pulumi.Output<string[]>;
  /** Users brought up to date. */
  public declare readonly userNames: pulumi.Output<string[]>;
  public declare readonly migrationsChecksum: pulumi.Output<string>;

  constructor(name: string, args: SchemaMigrationsArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(
      lazyProvider(path.join(__dirname, "schemaMigrationsProvider.ts")),
      name,
      {
        clickhouseUrl: args.clickhouseUrl,
        adminUser: args.adminUser,
        adminPassword: pulumi.secret(args.adminPassword),
        users: pulumi.secret(args.users ?? []),
        manageAccess: args.manageAccess ?? true,
        rawRetentionDays: args.rawRetentionDays ?? 0,
        migrationsChecksum: args.migrationsChecksum ?? schemaChecksum(),
        dropData: args.dropData ?? false,
        database: undefined,
        migrations: undefined,
        userNames: undefined,
      },
      { ...opts, additionalSecretOutputs: ["adminPassword", "users", ...(opts.additionalSecretOutputs ?? [])] },
      "streamstack",
      "SchemaMigrations",
    );
  }
}
