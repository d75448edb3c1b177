import { z } from "zod";
import { KNOWN_EXTENSIONS, cdcNames, MIN_MEMORY_MB, PLATFORM_ROLES, POSTGRES_VERSIONS, databaseRoleNames } from "../platform/constants";
import { SUPERUSER } from "../platform/identifiers";
import { parseMemoryMb } from "./memory";
import { backupSchema } from "./backup";
import { isDigestPinned } from "../platform/images";
import { fixedParameterReason } from "./fixed-parameters";
import { parameterProblems, pgauditLogProblem } from "./parameters";
import { derivedSettingProblems, type DerivedInputs } from "./derived-settings";
import { cidr, databaseName, identifier, imageReference, memorySize, port, repositoryName, roleName } from "./primitives";
import { CPU_RESOLUTION, DOCKER_MIN_CPUS, MAX_MEMORY_MB } from "../platform/limits";
import { awsSettings } from "./targets/aws";
import { dockerSettings } from "./targets/docker";
import { gcpSettings } from "./targets/gcp";
import { kubernetesSettings } from "./targets/kubernetes";

const extension = z.enum(KNOWN_EXTENSIONS);

const parameterName = z
    .string()
    .regex(/^[a-z_][a-z0-9_.]*$/, { message: "must be a PostgreSQL parameter name (lower case letters, digits, _ and .)" })
    // A record would drop it silently (it sets the object's prototype instead of a key).
    .refine((name) => !(name in Object.prototype), { message: "is not a parameter name (a JavaScript prototype property)" });

const parameterValue = z.union([z.string().refine((value) => !/[\n\r\0]/.test(value), { message: "must be a single line" }), z.number(), z.boolean()]);

/** Where clients reach the services from the host (publishing), never where servers listen. */
const network = z.strictObject({
    /** Host interface every published port binds. Default: `127.0.0.1`. */
    bindAddress: z.union([z.ipv4(), z.ipv6()], { message: "must be an IPv4 or IPv6 address such as 127.0.0.1" }).default("127.0.0.1"),
    /** Host ports. */
    ports: z
        .strictObject({
            /** PostgreSQL primary (or single node). Default: 5432. */
            postgres: port.default(5432),
            /** PgBouncer transaction pool. Default: 6432. */
            transactionPool: port.default(6432),
            /** PgBouncer session pool. Default: 6433. */
            sessionPool: port.default(6433),
            /** postgres_exporter. Default: 9187. */
            exporter: port.default(9187),
            /** First replica; replica N uses this + N - 1. Default: 5442. */
            replicaBase: port.default(5442),
        })
        .prefault({}),
});

const hbaRule = z.strictObject({
    /** Connection type. */
    type: z.enum(["host", "hostssl", "hostnossl"]),
    /** Database name, or `all`. */
    database: z.string().regex(/^(all|[a-z_][a-z0-9_]*)$/, { message: "must be all or a database name" }),
    /** Role name, or `all`. */
    user: z.string().regex(/^(all|[a-z_][a-z0-9_]*)$/, { message: "must be all or a role name" }),
    /** Client address range. */
    address: cidr,
    /**
     * Authentication method. `trust`, `password` and `cert` are refused here. `md5` is accepted
     * so that the policy gate, which refuses it (scram-only-auth, mandatory, no exceptions),
     * names it in review; even if deployed, PostgreSQL answers an md5 line with SCRAM for the
     * SCRAM verifiers the platform stores.
     */
    method: z.enum(["scram-sha-256", "reject", "md5"]),
});

const database = z.strictObject({
    /** Database name. */
    name: databaseName,
    /** Extensions created in this database. Default: none. */
    extensions: z.array(extension).default([]),
});

const role = z.strictObject({
    /** Role name. */
    name: roleName,
    /** Database the role works in. */
    database: identifier,
    /** What it may do there. */
    access: z.enum(["migrate", "readwrite", "readonly"]),
    /** Connection limit. Default: unlimited (-1). */
    connectionLimit: z.number().int().min(-1).max(2147483647, { message: "must fit PostgreSQL's CONNECTION LIMIT (an int32)" }).default(-1),
});

/**
 * Defaults of `postgres.memory` and `postgres.cpus`; managed targets tell "left alone" from
 * "asked for" by comparing with these.
 */
export const SERVER_SIZE_DEFAULTS = { memory: "1GiB", cpus: 1 } as const;

/** `schema.table`, as a CDC publication names a table. */
const qualifiedTable = z.string().regex(/^[a-z_][a-z0-9_]{0,62}\.[a-z_][a-z0-9_]{0,62}$/, {
    message: "must be a schema-qualified table name such as public.orders (lower case letters, digits and _)",
});

const cdcDatabase = z.strictObject({
    /** A database of `postgres.databases`. */
    name: identifier,
    /**
     * `all`: a `FOR ALL TABLES` publication (every table of the database, extensions' too) and
     * SELECT on every table the migrate role owns or creates; or the exact `schema.table`
     * names to publish and grant SELECT on (tables a migration creates later join once made).
     */
    tables: z.union([z.literal("all"), z.array(qualifiedTable).min(1)]),
});

const cdc = z
    .strictObject({
        /**
         * Logical decoding (`wal_level = logical`). Default: on when `databases` names any, else
         * off; `true` without databases turns decoding on with no platform CDC role.
         */
        enabled: z.boolean().optional(),
        /** The databases (and their tables) a connector streams, each with its own `<db>_cdc` role, publication and slot. Default: none. */
        databases: z.array(cdcDatabase).default([]),
    })
    .superRefine((value, ctx) => {
        if (value.enabled === false && value.databases.length > 0) {
            ctx.addIssue({
                code: "custom",
                path: ["enabled"],
                message: "is false while postgres.cdc.databases names databases: drop enabled, or the databases",
            });
        }
    })
    .transform((value) => ({ enabled: value.enabled ?? value.databases.length > 0, databases: value.databases }));

const postgres = z.strictObject({
    /** Major version. Default: 18. */
    version: z
        .union(
            POSTGRES_VERSIONS.map((v) => z.literal(v)),
            { message: `must be one of ${POSTGRES_VERSIONS.join(", ")}` },
        )
        .default(18),
    /**
     * The major the existing cluster runs when `version` rises on a self-hosted target: the new
     * server then runs pg_upgrade (`--check`, then `--link`) on its volume before it starts, with
     * this major's binaries from its image (README: Upgrading PostgreSQL majors). Lower than
     * `version`; leave it set until the old cluster is deleted. Default: none (a server that
     * finds an older major's cluster on its volume refuses to start and names this key).
     */
    upgradeFrom: z
        .union(
            POSTGRES_VERSIONS.map((v) => z.literal(v)),
            { message: `must be one of ${POSTGRES_VERSIONS.join(", ")}` },
        )
        .optional(),
    /** Memory available to the server; drives auto-tuning and container limits. Default: `1GiB`. */
    memory: memorySize.default(SERVER_SIZE_DEFAULTS.memory),
    /** CPUs available to the server. Default: 1. */
    cpus: z
        .number()
        .min(DOCKER_MIN_CPUS, { message: `must be at least ${DOCKER_MIN_CPUS} (Docker refuses fewer CPUs)` })
        .max(1024)
        .refine((cpus) => Math.abs(cpus / CPU_RESOLUTION - Math.round(cpus / CPU_RESOLUTION)) < 1e-6, {
            message: `must be a multiple of ${CPU_RESOLUTION} (Kubernetes resolves CPU to millicores)`,
        })
        .default(SERVER_SIZE_DEFAULTS.cpus),
    /** Extra server parameters, written last into postgresql.conf. Default: none. */
    parameters: z.record(parameterName, parameterValue).default({}),
    /** Server-wide extensions: preloaded where needed and available to databases. */
    extensions: z.array(extension).default(["pg_stat_statements", "auto_explain", "pg_cron", "pgaudit"]),
    /** Databases, each with its migrate, app and read-only roles. Default: one named `app`. */
    databases: z
        .array(database)
        .min(1)
        .default([{ name: "app", extensions: [] }]),
    /** Further roles beyond the three made per database. Default: none. */
    roles: z.array(role).default([]),
    /** User pg_hba.conf rules, placed after the platform's fixed rules. Default: none. */
    hba: z.array(hbaRule).default([]),
    /** TLS for client connections (hostssl, hostnossl reject). Default: off. */
    tls: z
        .strictObject({
            enabled: z.boolean().default(false),
            /**
             * Where clients keep the stack's CA certificate (the `caCertificate` output): the URLs
             * name it as `sslrootcert`, with `sslmode=verify-full`, so libpq (psql, psycopg) and
             * node-postgres verify the server with it. A relative path is read from the client's
             * working directory. Default: `ca.crt`.
             */
            caFile: z
                .string()
                .regex(/^[A-Za-z0-9._/-]+$/, { message: "must be a file path of letters, digits, '.', '_', '-' and '/' (it goes into the URLs unescaped)" })
                .default("ca.crt"),
        })
        .prefault({}),
    /** Change data capture (Debezium-style logical decoding). Default: off. */
    cdc: cdc.prefault({}),
    /** pgaudit.log classes. Default: `ddl,role`. */
    auditLog: z
        .string()
        .regex(/^-?[a-z_]+(,\s*-?[a-z_]+)*$/, { message: "must be a comma-separated list of pgaudit classes" })
        .superRefine((value, ctx) => {
            const problem = pgauditLogProblem(value);
            if (problem) ctx.addIssue({ code: "custom", message: problem });
        })
        .default("ddl,role"),
    /** log_min_duration_statement in ms: statements slower than this are logged. Default: 250. */
    slowQueryMs: z.number().int().min(-1).default(250),
    /** WAL a replication slot may retain before it is invalidated. Default: `10GB`. */
    maxSlotWalKeepSize: memorySize.default("10GB"),
});

const poolSettings = (defaults: { defaultPoolSize: number; maxClientConn: number }) =>
    z.strictObject({
        /** Server connections per database/user pair. */
        defaultPoolSize: z.number().int().min(1).max(10000).default(defaults.defaultPoolSize),
        /** Client connections accepted. */
        maxClientConn: z.number().int().min(1).max(100000).default(defaults.maxClientConn),
        /** Extra server connections when a pool is starved. Default: 5. */
        reservePoolSize: z.number().int().min(0).max(10000).default(5),
    });

const pooler = z.strictObject({
    /** PgBouncer pools in front of the primary (primary topology only). Default: true. */
    enabled: z.boolean().default(true),
    /** Transaction pool for applications. Defaults: 20 server, 1000 client connections. */
    transaction: poolSettings({ defaultPoolSize: 20, maxClientConn: 1000 }).prefault({}),
    /** Session pool for migrations and tools that need session state. Defaults: 10 / 200. */
    session: poolSettings({ defaultPoolSize: 10, maxClientConn: 200 }).prefault({}),
});

const exporter = z.strictObject({
    /** postgres_exporter beside the primary. Default: true. */
    enabled: z.boolean().default(true),
});

const image = z.strictObject({
    /** Optional extensions compiled into the image (pg_cron and pgAudit always are). Default: none. */
    extensions: z.array(z.enum(["pgvector"])).default([]),
    /** A prebuilt image to run instead of building one; must be pinned by digest. */
    prebuilt: imageReference.optional(),
    /**
     * The PgBouncer image, for users who mirror images into their own registry: a digest-pinned
     * reference of the same image (the pinned-images policy refuses a tag). Default: the pinned
     * edoburu/pgbouncer.
     */
    pgbouncer: imageReference.optional(),
    /** The postgres_exporter image, as {@link pgbouncer}. Default: the pinned prometheuscommunity/postgres-exporter. */
    exporter: imageReference.optional(),
    /** Registry repository to push the built image to. Default: none (local build). */
    repository: repositoryName.optional(),
    /** Push the built image. Default: false. */
    push: z.boolean().default(false),
    /** Platforms built. Default: linux/amd64 and linux/arm64. */
    platforms: z
        .array(z.enum(["linux/amd64", "linux/arm64"]))
        .min(1)
        .default(["linux/amd64", "linux/arm64"]),
    /** Registry cache reference (`type=registry`). Default: none. */
    cacheRef: imageReference.optional(),
});

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { message: "must be an environment variable name (upper case letters, digits and _)" });

const migrations = z.strictObject({
    /**
     * The migration image, pinned by digest (`repository@sha256:<64 hex>`). When set, the stack
     * runs it once per change of image, command or environment, after the primary and pools are
     * healthy and before its outputs resolve; a failed run fails `pulumi up`. Default: none.
     */
    image: z
        .string()
        .refine(isDigestPinned, { message: "must be pinned by digest (repository@sha256:<64 hex digits>), so the same migrations run on every up" })
        .optional(),
    /** Command (with arguments) to run instead of the image's own. Default: the image's. */
    command: z.array(z.string().min(1)).min(1).optional(),
    /** Extra plain environment (never secrets; the connection arrives as DATABASE_URL). Default: none. */
    env: z
        .record(
            envName,
            z.string().refine((value) => !/[\n\r\0]/.test(value), { message: "must be a single line" }),
        )
        .default({}),
    /** How long a run may take before `pulumi up` fails. Default: 600. */
    timeoutSeconds: z.number().int().min(10).max(86_400).default(600),
});

type Issue = (path: (string | number)[], message: string) => void;

/** What {@link serverSettingIssues} reads of the spec. */
interface ServerSettingInputs extends DerivedInputs {
    readonly target: string;
    readonly postgres: DerivedInputs["postgres"] & { readonly parameters: Readonly<Record<string, string | number | boolean>>; readonly memory: string };
}

/**
 * Server settings: a parameter the platform fixes, one the server's catalogue refuses (name or
 * value), a derived setting out of the server's range, memory outside the auto-tuning's range.
 */
function serverSettingIssues(spec: ServerSettingInputs, issue: Issue): void {
    const checked: Record<string, string | number | boolean> = {};
    for (const [name, value] of Object.entries(spec.postgres.parameters)) {
        const reason = fixedParameterReason(name);
        if (reason) issue(["postgres", "parameters", name], `is fixed by the platform: ${reason}`);
        else checked[name] = value;
    }
    const parameterContext = { version: spec.postgres.version, target: spec.target, extensions: spec.postgres.extensions };
    for (const [name, message] of parameterProblems(checked, parameterContext)) issue(["postgres", "parameters", name], message);
    for (const [path, message] of derivedSettingProblems(spec)) issue(path, message);

    const memoryMb = parseMemoryMb(spec.postgres.memory);
    if (memoryMb !== undefined && memoryMb < MIN_MEMORY_MB) {
        issue(["postgres", "memory"], `must be at least ${MIN_MEMORY_MB}MB (the auto-tuning refuses less)`);
    }
    if (memoryMb !== undefined && memoryMb > MAX_MEMORY_MB) {
        issue(["postgres", "memory"], `must be at most ${MAX_MEMORY_MB}MB (1 TiB): the image's auto-tuning refuses a larger POSTGRES_MEMORY`);
    }
}

/**
 * `postgres.upgradeFrom` names an upgrade pg_upgrade can make: from a lower major, on a target
 * whose volume the platform upgrades. RDS and Cloud SQL upgrade in place when `version` rises.
 */
function upgradeIssues(spec: { target: string; postgres: { version: number; upgradeFrom?: number } }, issue: Issue): void {
    const { version, upgradeFrom } = spec.postgres;
    if (upgradeFrom === undefined) return;
    if (spec.target === "aws" || spec.target === "gcp") {
        issue(
            ["postgres", "upgradeFrom"],
            `means nothing on ${spec.target}: the provider upgrades the instance in place when postgres.version rises (README: Upgrading PostgreSQL majors); remove it`,
        );
    } else if (upgradeFrom === version) {
        issue(["postgres", "upgradeFrom"], `is ${upgradeFrom}, the same as postgres.version: nothing to upgrade; remove it once the old cluster is deleted`);
    } else if (upgradeFrom > version) {
        issue(
            ["postgres", "upgradeFrom"],
            `is ${upgradeFrom}, above postgres.version ${version}: a downgrade is refused (pg_upgrade only goes forward; restore a backup taken on ${version} instead)`,
        );
    }
}

/**
 * A user pg_hba.conf rule names what exists: names are quoted in pg_hba.conf, so anything else
 * (a typo, `replication`, `sameuser`) is a rule that never matches, not a keyword; and a rule for
 * the superuser never matches either (a fixed rule rejects it first).
 */
function hbaReferenceIssues(
    rules: readonly { readonly database: string; readonly user: string }[],
    databases: ReadonlySet<string>,
    roles: ReadonlySet<string>,
    issue: Issue,
): void {
    const platformRoles = new Set<string>(Object.values(PLATFORM_ROLES));
    rules.forEach((rule, i) => {
        if (rule.database !== "all" && !databases.has(rule.database)) {
            issue(["postgres", "hba", i, "database"], `"${rule.database}" is not one of postgres.databases (or all): the rule would never match`);
        }
        if (rule.user === SUPERUSER) {
            issue(["postgres", "hba", i, "user"], `the superuser never logs in over the network: a fixed rule rejects it before any user rule`);
        } else if (rule.user !== "all" && !roles.has(rule.user) && !platformRoles.has(rule.user)) {
            issue(
                ["postgres", "hba", i, "user"],
                `"${rule.user}" is not a role of this stack (per-database, postgres.roles or the platform's): the rule would never match`,
            );
        }
    });
}

/** The whole stack configuration (`pg-platform:*`), before cross-field checks. */
export const platformSchema = z
    .strictObject({
        /** Where PostgreSQL runs. Default: `docker`. */
        target: z.enum(["docker", "kubernetes", "aws", "gcp"]).default("docker"),
        /** `single` node, or a `primary` with poolers, exporter and optional replicas. Default: `single`. */
        topology: z.enum(["single", "primary"]).default("single"),
        /** Streaming (or managed read) replicas; only with `primary`. Default: 0. */
        replicas: z.number().int().min(0).max(15).default(0),
        /** Production safeguards: deletion protection, longer retention, HA. Default: false. */
        production: z.boolean().default(false),
        network: network.prefault({}),
        postgres: postgres.prefault({}),
        pooler: pooler.prefault({}),
        exporter: exporter.prefault({}),
        image: image.prefault({}),
        backup: backupSchema.prefault({}),
        /** A one-shot migration job as `<db>_migrate` through the session pool (self-hosted targets). Default: none. */
        migrations: migrations.prefault({}),
        docker: dockerSettings.optional(),
        kubernetes: kubernetesSettings.optional(),
        aws: awsSettings.optional(),
        gcp: gcpSettings.optional(),
    })
    .superRefine((spec, ctx) => {
        const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });

        if (spec.replicas > 0 && spec.topology !== "primary") {
            issue(["replicas"], `replicas need topology "primary" (topology is "${spec.topology}")`);
        }
        if (spec.migrations.image !== undefined && (spec.target === "aws" || spec.target === "gcp")) {
            issue(
                ["migrations", "image"],
                `the ${spec.target} target runs no migration job: run the migration image in your pipeline against sessionPoolUrl (or primaryUrl) before deploying the applications (README: Migrations)`,
            );
        }
        if (spec.migrations.image === undefined && (spec.migrations.command !== undefined || Object.keys(spec.migrations.env).length > 0)) {
            issue(["migrations", "image"], "is required when migrations.command or migrations.env is set");
        }
        if (spec.target !== "docker" && spec[spec.target] === undefined) {
            issue([spec.target], `target "${spec.target}" needs its own settings under pg-platform:${spec.target}`);
        }

        for (const check of [serverSettingIssues, upgradeIssues]) check(spec, issue);

        // Platform and other reserved roles are refused by roleName itself; here only clashes
        // between the stack's own names.
        const seenRoles = new Set<string>();
        const seenDatabases = new Set<string>();
        spec.postgres.databases.forEach((db, i) => {
            if (seenDatabases.has(db.name)) issue(["postgres", "databases", i, "name"], `database "${db.name}" is listed twice`);
            seenDatabases.add(db.name);
            for (const role of databaseRoleNames(db.name)) {
                if (role.length > 63) issue(["postgres", "databases", i, "name"], `is too long: its role "${role}" would pass 63 characters`);
                seenRoles.add(role);
            }
            for (const ext of db.extensions) {
                if (!spec.postgres.extensions.includes(ext)) {
                    issue(["postgres", "databases", i, "extensions"], `"${ext}" must also be in postgres.extensions`);
                }
            }
        });
        const cdcDatabases = new Set<string>();
        spec.postgres.cdc.databases.forEach((db, i) => {
            const path = ["postgres", "cdc", "databases", i];
            if (!seenDatabases.has(db.name)) issue([...path, "name"], `"${db.name}" is not one of postgres.databases`);
            // The platform's own pg_hba.conf rules write `replication` bare, as the keyword.
            if (db.name === "replication")
                issue([...path, "name"], `"replication" is pg_hba.conf's keyword for physical replication: CDC needs a database of another name`);
            if (cdcDatabases.has(db.name)) issue([...path, "name"], `database "${db.name}" is listed twice`);
            cdcDatabases.add(db.name);
            seenRoles.add(cdcNames(db.name).role);
            if (db.tables !== "all") {
                const seen = new Set<string>();
                db.tables.forEach((table, j) => {
                    if (seen.has(table)) issue([...path, "tables", j], `"${table}" is listed twice`);
                    seen.add(table);
                });
            }
        });
        spec.postgres.roles.forEach((role, i) => {
            if (seenRoles.has(role.name)) issue(["postgres", "roles", i, "name"], `"${role.name}" is already a platform or per-database role`);
            seenRoles.add(role.name);
            if (!seenDatabases.has(role.database)) {
                issue(["postgres", "roles", i, "database"], `"${role.database}" is not one of postgres.databases`);
            }
        });
        hbaReferenceIssues(spec.postgres.hba, seenDatabases, seenRoles, issue);
        if (
            spec.postgres.extensions.includes("pgvector") &&
            !spec.image.extensions.includes("pgvector") &&
            (spec.target === "docker" || spec.target === "kubernetes")
        ) {
            issue(["image", "extensions"], "pgvector is in postgres.extensions, so the image must build it: add pgvector here");
        }

        const ports = spec.network.ports;
        const used: [string, number][] = [["postgres", ports.postgres]];
        if (spec.topology === "primary" && spec.pooler.enabled) {
            used.push(["transactionPool", ports.transactionPool], ["sessionPool", ports.sessionPool]);
        }
        if (spec.topology === "primary" && spec.exporter.enabled) used.push(["exporter", ports.exporter]);
        for (let n = 0; n < spec.replicas; n++) used.push([n === 0 ? "replicaBase" : `replicaBase+${n}`, ports.replicaBase + n]);
        const owner = new Map<number, string>();
        for (const [key, value] of used) {
            const first = owner.get(value);
            if (value > 65535) issue(["network", "ports", "replicaBase"], `replica ports run past 65535 (${key} = ${value})`);
            else if (first) issue(["network", "ports", key.split("+")[0]], `port ${value} is already used by network.ports.${first}`);
            else owner.set(value, key);
        }
    });

/** The validated, defaulted stack configuration every component and renderer reads. */
export type PlatformSpec = z.output<typeof platformSchema>;

/** A hand-written stack configuration, before defaults. */
export type PlatformConfigInput = z.input<typeof platformSchema>;
