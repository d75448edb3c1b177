import { createHash, createHmac, pbkdf2Sync } from "node:crypto";
import { passwordOrPlaceholder, type RenderSecrets } from "./layout";

/** PBKDF2 rounds in every verifier: PostgreSQL's default `scram_iterations`. */
export const SCRAM_ITERATIONS = 4096;

const SALT_BYTES = 16;
const KEY_BYTES = 32;

/** Matches a SCRAM-SHA-256 verifier as PostgreSQL stores it in `pg_authid.rolpassword`. */
export const SCRAM_VERIFIER_PATTERN = /^SCRAM-SHA-256\$\d+:[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*:[A-Za-z0-9+/]+=*$/;

const hmac = (key: Buffer, text: string): Buffer => createHmac("sha256", key).update(text).digest();

/**
 * The SCRAM-SHA-256 verifier PostgreSQL would store for `password`
 * (`SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, RFC 5802 / 7677), so a role
 * can be created with `PASSWORD '<verifier>'` and the clear password never reaches the server.
 *
 * The salt is derived from `saltSeed` (the role name) and the password, so rendering the same
 * secret twice gives the same text and deployments do not churn. It is derived with PBKDF2 at
 * the verifier's own cost: learning the salt makes guessing the password no cheaper than
 * attacking the verifier itself. Passwords are expected to be ASCII (as generated ones are);
 * PostgreSQL's SASLprep leaves those unchanged, and NFKC normalisation covers the rest.
 */
export function scramVerifier(password: string, saltSeed: string): string {
    if (password.length === 0) throw new Error("scramVerifier: the password is empty");
    const normalized = password.normalize("NFKC");
    const salt = pbkdf2Sync(normalized, `pg-platform scram salt\0${saltSeed}`, SCRAM_ITERATIONS, SALT_BYTES, "sha256");
    const salted = pbkdf2Sync(normalized, salt, SCRAM_ITERATIONS, KEY_BYTES, "sha256");
    const storedKey = createHash("sha256").update(hmac(salted, "Client Key")).digest();
    const serverKey = hmac(salted, "Server Key");
    return `SCRAM-SHA-256$${SCRAM_ITERATIONS}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

/**
 * The verifier a login role gets, wherever it is written: the init SQL sets it on the server
 * and PgBouncer's userlist authenticates clients with it. Both must hold the very same string
 * (same salt and iterations), because PgBouncer logs in to the server with the keys the client
 * proved against the userlist entry. Without a password for `role`, its secret placeholder.
 */
export function roleVerifier(role: string, secrets?: RenderSecrets): string {
    const password = secrets?.passwords[role];
    return password === undefined ? passwordOrPlaceholder(role) : scramVerifier(password, role);
}
