/**
 * The base name of a managed stack's resources, derived from the stack name so every physical
 * name the clouds see is valid. Pure: no Pulumi import.
 *
 * Children are named `<base>-<part>` (`-primary`, `-replica-15`, `-proxy`, `-proxy-role`, …) and
 * the providers autoname them `<name>-<7 random>` or append a generated suffix to a namePrefix.
 * The strictest rules those names meet:
 * - RDS DB instance identifier: 1–63 lower-case letters, digits and hyphens, first a letter, no
 *   two hyphens in a row, no hyphen at the end (RDS API, CreateDBInstance);
 * - RDS Proxy name: the same, at most 60;
 * - IAM role name: at most 64 (`[\w+=,.@-]`);
 * - Cloud SQL instance ID: lower-case letters, digits and hyphens, first a letter; the project ID
 *   (at most 30) and the instance ID together at most 98.
 * `pg-platform-<stack>-replica-15-abcdefg` is 31 characters plus the stack part, so the stack part
 * is kept to {@link MAX_STACK_PART}: 63 − 31.
 */
import { createHash } from "node:crypto";
import { PROJECT } from "../platform/constants";

/** The longest stack part a base name keeps; longer ones are cut and made unique with a hash. */
export const MAX_STACK_PART = 32;

/** Characters of the stack name's hash that keep a cut name unique. */
const HASH_LENGTH = 6;

/**
 * `pg-platform-<stack>` for a stack name that is already lower-case letters, digits and single
 * hyphens (every committed stack, so their URNs stay as they were); otherwise the stack name
 * lower-cased with every other run of characters made one hyphen (`Prod` → `prod`, `prod_eu` →
 * `prod-eu`), and, past {@link MAX_STACK_PART} characters, cut and suffixed with a hash of the
 * whole stack name so two long names stay apart.
 */
export function managedBaseName(stack: string): string {
    const slug = stack
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, "-")
        .replace(/^-+|-+$/g, "");
    if (slug !== "" && slug.length <= MAX_STACK_PART) return `${PROJECT}-${slug}`;
    const hash = createHash("sha256").update(stack).digest("hex").slice(0, HASH_LENGTH);
    const kept = slug.slice(0, MAX_STACK_PART - HASH_LENGTH - 1).replace(/-+$/, "");
    return `${PROJECT}-${kept === "" ? "" : `${kept}-`}${hash}`;
}
