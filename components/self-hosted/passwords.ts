import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/**
 * One random password per login role, as Pulumi secrets (RandomPassword.result is secret),
 * shared by the self-hosted targets. Each RandomPassword is `${name}-<role>-password` under
 * `parent`.
 */
export function rolePasswords(parent: pulumi.Resource, name: string, roles: readonly string[]): pulumi.Output<Record<string, string>> {
    // Letters and digits only: the value goes into URLs, libpq passfiles and PgBouncer's userlist unescaped.
    const entries = roles.map(
        (role) => [role, new random.RandomPassword(`${name}-${role}-password`, { length: 32, special: false }, { parent }).result] as const,
    );
    return pulumi.secret(pulumi.all(Object.fromEntries(entries)));
}
