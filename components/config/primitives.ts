import { z } from "zod";
import { parseAddressRanges, wholePublicFamilies } from "../platform/address-ranges";
import { IMAGE_REFERENCE, REPOSITORY_NAME, REPOSITORY_NAME_MAX } from "../platform/limits";
import { derivedRoleReason, reservedNameReason } from "../platform/identifiers";
import { parseMemoryMb } from "./memory";

/**
 * A PostgreSQL identifier: lower case, at most 63 bytes. Renderers still quote it everywhere
 * (platform/identifiers.ts), so an SQL keyword such as `select` is a name like any other.
 */
export const identifier = z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, {
        message: "must be a lower-case identifier: a letter or _, then letters, digits or _ (at most 63)",
    })
    .refine((name) => !name.startsWith("pg_"), { message: "names starting with pg_ are reserved by PostgreSQL" })
    // The platform keys passwords, files and roles by name in plain objects.
    .refine((name) => !(name in Object.prototype), {
        message: "is a JavaScript object property name (such as __proto__ or constructor), which the platform cannot key a name by",
    });

const notReserved = (kind: "database" | "role") => (name: string, ctx: z.RefinementCtx) => {
    const reason = reservedNameReason(kind, name);
    if (reason && !name.startsWith("pg_")) ctx.addIssue({ code: "custom", message: `is reserved: ${reason}` });
    const derived = kind === "database" ? derivedRoleReason(name) : undefined;
    if (derived) ctx.addIssue({ code: "custom", message: `is reserved: ${derived}` });
};

/** A database a stack declares: an identifier PostgreSQL, PgBouncer and the platform do not own already. */
export const databaseName = identifier.superRefine(notReserved("database"));

/** A role a stack declares: an identifier that is not the superuser, PUBLIC, a role keyword or a platform role. */
export const roleName = identifier.superRefine(notReserved("role"));

/** A TCP port a service is published on. */
export const port = z.number().int().min(1).max(65535);

/** A memory size such as "512MB" or "2GiB", kept as text and checked to parse. */
export const memorySize = z.string().refine((text) => parseMemoryMb(text) !== undefined, {
    message: 'must be a memory size such as "512MB", "2GiB" or "1.5G" (units MB, MiB, GB, GiB, TB, TiB)',
});

/** An image reference by the registries' grammar (`[host[:port]/]path[:tag][@sha256:digest]`), one line. */
export const imageReference = z
    .string()
    .max(REPOSITORY_NAME_MAX + 128 + 72, { message: "is longer than any image reference a registry accepts" })
    .regex(IMAGE_REFERENCE, {
        message:
            'must be an image reference such as "ghcr.io/acme/postgres@sha256:<64 hex>" (lower-case path, tag of at most 128 characters, no spaces or control characters)',
    });

/** A registry repository (`[host[:port]/]path`), without tag or digest. */
export const repositoryName = z
    .string()
    .max(REPOSITORY_NAME_MAX, { message: `is longer than the ${REPOSITORY_NAME_MAX} characters Docker accepts for a repository` })
    .regex(REPOSITORY_NAME, {
        message: 'must be a repository such as "ghcr.io/acme/postgres" (lower-case path, no tag, digest, spaces or control characters)',
    });

/**
 * Refuses a list of CIDR blocks whose union covers a whole family's public address space, by
 * one block or by pieces (`0.0.0.0/1` + `128.0.0.0/1`): that admits everyone. A single block
 * that does so alone is left to the item's own check, when it has one (`itemChecked`).
 */
export function refuseWholePublicSpace(what: string, itemChecked = false) {
    return (blocks: readonly string[], ctx: z.RefinementCtx) => {
        const families = wholePublicFamilies(parseAddressRanges(blocks).ranges);
        if (families.length === 0) return;
        if (itemChecked && blocks.some((block) => wholePublicFamilies(parseAddressRanges([block]).ranges).length > 0)) return;
        ctx.addIssue({
            code: "custom",
            message: `together admit every public IPv${families.join(" and IPv")} address; ${what}`,
        });
    };
}

/** An IPv4 or IPv6 CIDR block. */
export const cidr = z.union([z.cidrv4(), z.cidrv6()], { message: "must be a CIDR block such as 10.0.0.0/16" });
