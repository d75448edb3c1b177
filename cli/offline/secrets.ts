/**
 * Pulumi's wire markers, as the mock monitor receives resource inputs. A secret arrives as
 * `{ [SIG_KEY]: SECRET_SIG, value }`; unwrapping keeps the value, redacting hides it.
 */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** The placeholder secret values are replaced with in redacted output. */
export const REDACTED = "[secret]";

function isSecretMarker(value: unknown): value is { value: unknown } {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

function mapDeep(value: unknown, onSecret: (inner: unknown, path: string) => unknown, path = ""): unknown {
    if (isSecretMarker(value)) return onSecret(value.value, path);
    if (Array.isArray(value)) return value.map((item, i) => mapDeep(item, onSecret, `${path}[${i}]`));
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapDeep(item, onSecret, path ? `${path}.${key}` : key)]));
    }
    return value;
}

/** The value with every secret marker replaced by its plain content. */
export function unwrapSecrets(value: unknown): unknown {
    return mapDeep(value, (inner) => unwrapSecrets(inner));
}

/** The value with every secret replaced by {@link REDACTED}. */
export function redactSecrets(value: unknown): unknown {
    return mapDeep(value, () => REDACTED);
}

/** Property paths (e.g. `envs[2]`) that hold secrets. */
export function secretPaths(value: unknown): string[] {
    const paths: string[] = [];
    mapDeep(value, (inner, path) => {
        paths.push(path);
        return inner;
    });
    return paths;
}
