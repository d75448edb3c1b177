import type { PlatformSpec } from "../config";
import { ALLOWED_HBA_METHODS, PLATFORM_ROLES, cdcNames } from "../platform/constants";
import { SUPERUSER, quoteIdentifier } from "../platform/identifiers";

/** Which part of pg_hba.conf a rule belongs to; parts are written in this order. */
export type HbaPart = "fixed" | "user" | "default";

/** One pg_hba.conf line. */
export interface HbaRule {
    /** `local`, `host`, `hostssl` or `hostnossl`. */
    readonly type: "local" | "host" | "hostssl" | "hostnossl";
    /** Database name or keyword (`all`; `replication` in the fixed rules), unquoted: renderPgHba quotes names. */
    readonly database: string;
    /** Role name or `all`. */
    readonly user: string;
    /** Client address range; absent for `local`. */
    readonly address?: string;
    /** One of ALLOWED_HBA_METHODS, or a user rule's method as written (the policy gate judges it). */
    readonly method: (typeof ALLOWED_HBA_METHODS)[number] | PlatformSpec["postgres"]["hba"][number]["method"];
    /** The part it belongs to. */
    readonly part: HbaPart;
}

/** The bootstrap superuser initdb creates; only reachable through the socket and loopback. */
export { SUPERUSER };

/**
 * The pg_hba.conf rules, in the order PostgreSQL must read them: the platform's fixed rules,
 * then `postgres.hba`, then the default rule. The platform's own rules use only SCRAM (and
 * `peer` for the local superuser socket); user rules are written as given, so the policy gate
 * sees, and refuses, any method other than SCRAM or reject.
 * With TLS on, every TCP rule is `hostssl` and plain TCP is rejected first.
 */
export function hbaRules(spec: PlatformSpec): HbaRule[] {
    const tcp = spec.postgres.tls.enabled ? "hostssl" : "host";
    const fixed = (type: HbaRule["type"], database: string, user: string, method: HbaRule["method"], address?: string): HbaRule => ({
        type,
        database,
        user,
        address,
        method,
        part: "fixed",
    });

    const rules: HbaRule[] = [
        // The container's entrypoint and operators with a shell run as the OS user postgres.
        fixed("local", "all", SUPERUSER, "peer"),
        fixed("local", "all", "all", "scram-sha-256"),
        // Loopback is inside the server's own container or host: TLS adds nothing there.
        fixed("host", "all", SUPERUSER, "scram-sha-256", "127.0.0.1/32"),
        fixed("host", "all", SUPERUSER, "scram-sha-256", "::1/128"),
        ...(spec.postgres.tls.enabled ? [fixed("hostnossl", "all", "all", "reject", "all")] : []),
        // The superuser never logs in over the network.
        fixed("host", "all", SUPERUSER, "reject", "all"),
        fixed(tcp, "replication", PLATFORM_ROLES.replication, "scram-sha-256", "all"),
        fixed("host", "replication", "all", "reject", "all"),
        // Each CDC role streams (logical replication) from its own database only.
        // (The config refuses a CDC database named `replication`, which this part writes bare.)
        ...spec.postgres.cdc.databases.map((db) => fixed(tcp, db.name, cdcNames(db.name).role, "scram-sha-256", "all")),
    ];

    for (const rule of spec.postgres.hba) {
        const type = spec.postgres.tls.enabled && rule.type === "host" ? "hostssl" : rule.type;
        rules.push({ type, database: rule.database, user: rule.user, address: rule.address, method: rule.method, part: "user" });
    }

    rules.push({ type: tcp, database: "all", user: "all", address: "all", method: "scram-sha-256", part: "default" });
    return rules;
}

const PART_TITLES: Readonly<Record<HbaPart, string>> = {
    fixed: "Fixed rules (platform)",
    user: "From pg-platform:postgres.hba",
    default: "Default rule",
};

/**
 * A database or user field as written: every name is quoted, so a database called
 * `replication` or a role called `samerole` means that name, not pg_hba.conf's keyword. Only
 * `all` (and `replication` in the platform's own rules) stay keywords.
 */
function hbaName(rule: HbaRule, name: string): string {
    if (name === "all" || (rule.part !== "user" && name === "replication")) return name;
    return quoteIdentifier(name, "hba");
}

/** pg_hba.conf text for {@link hbaRules}. */
export function renderPgHba(spec: PlatformSpec): string {
    const rules = hbaRules(spec);
    const lines = [
        "# pg_hba.conf rendered by pg-platform: SCRAM only, first match wins.",
        "# TYPE      DATABASE     USER                ADDRESS          METHOD",
    ];
    for (const part of ["fixed", "user", "default"] as const) {
        const section = rules.filter((r) => r.part === part);
        if (section.length === 0) continue;
        lines.push("", `# ${PART_TITLES[part]}`);
        for (const r of section) {
            lines.push([r.type.padEnd(11), hbaName(r, r.database).padEnd(12), hbaName(r, r.user).padEnd(19), (r.address ?? "").padEnd(16), r.method].join(" "));
        }
    }
    return `${lines.join("\n")}\n`;
}
