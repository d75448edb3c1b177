import * as fs from "node:fs";
import * as path from "node:path";
import { ProblemsError } from "./problems-error";
import { LineCounter, isMap, isScalar, isSeq, parseDocument, visit } from "yaml";
import { ConfigError } from "../components/config";
import { PROJECT } from "../components/platform/constants";

/** The placeholder an encrypted (`secure:`) value becomes offline: opaque, never decrypted. */
export const OPAQUE_SECRET = "[secure value: not decrypted offline]";

/** A stack's configuration as the Pulumi CLI would hand it to the program. */
export interface StackConfig {
    /** Fully qualified key (`pg-platform:target`) → the string the program receives. */
    readonly config: Record<string, string>;
    /** Keys whose value is (or contains) a secret. */
    readonly secretKeys: string[];
}

/** A stack named on the command line that has no Pulumi.<stack>.yaml. */
export class MissingStackError extends Error {
    constructor(file: string, dir: string) {
        super(`no stack file ${file} in ${dir}`);
        this.name = "MissingStackError";
    }
}

/**
 * The message for a stack the command-line tools must refuse with exit 2 (its file is missing
 * or its configuration invalid), or undefined for any other error, which is a bug to surface.
 */
export function configFailure(stack: string, error: unknown): string | undefined {
    if (error instanceof ConfigError) return `Configuration error in stack "${stack}":\n  - ${error.problems.join("\n  - ")}`;
    if (error instanceof MissingStackError) return error.message;
    if (error instanceof StackFileError) return `Stack file error in stack "${stack}":\n  - ${error.problems.join("\n  - ")}`;
    return undefined;
}

/** The project's root: the folder holding Pulumi.yaml. */
export const PROJECT_DIR = path.resolve(__dirname, "..");

function qualify(key: string): string {
    return key.includes(":") ? key : `${PROJECT}:${key}`;
}

function isSecure(value: unknown): value is { secure: string } {
    return (
        typeof value === "object" &&
        value !== null &&
        !Array.isArray(value) &&
        Object.keys(value).length === 1 &&
        typeof (value as { secure?: unknown }).secure === "string"
    );
}

/** Replaces `secure:` leaves with {@link OPAQUE_SECRET}; reports whether any were found. */
function opaque(value: unknown): { value: unknown; secret: boolean } {
    if (isSecure(value)) return { value: OPAQUE_SECRET, secret: true };
    if (Array.isArray(value)) {
        const items = value.map(opaque);
        return { value: items.map((item) => item.value), secret: items.some((item) => item.secret) };
    }
    if (typeof value === "object" && value !== null) {
        const entries = Object.entries(value).map(([key, item]) => [key, opaque(item)] as const);
        return { value: Object.fromEntries(entries.map(([key, item]) => [key, item.value])), secret: entries.some(([, item]) => item.secret) };
    }
    return { value, secret: false };
}

function encode(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * A stack or project file the tools refuse before reading any value from it: unparseable YAML,
 * a key given twice, an alias, a `__proto__` key, a non-mapping where a mapping belongs.
 * `problems` name the file and line (`Pulumi.dev.yaml:3: ...`).
 */
export class StackFileError extends ProblemsError {}

/** Keys that would reach an object's prototype instead of becoming data when decoded. */
const PROTOTYPE_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/**
 * Parses a YAML file strictly: every parse error and warning (an unknown tag, a collection
 * used as a key) is a problem, as are duplicate keys, aliases and anchors (one value, one
 * place: an alias makes a stack read differently from how it is written) and keys that are
 * JavaScript prototype names. Each problem names the file and the line.
 */
function readYaml(file: string): Record<string, unknown> {
    const name = path.basename(file);
    const lineCounter = new LineCounter();
    const doc = parseDocument(fs.readFileSync(file, "utf8"), { lineCounter, uniqueKeys: true, merge: false, prettyErrors: false });
    const at = (offset: number | undefined) => `${name}:${offset === undefined ? "?" : lineCounter.linePos(offset).line}`;
    const problems = [...doc.errors, ...doc.warnings].map((e) => `${at(e.pos[0])}: ${e.message.split("\n")[0]}`);
    visit(doc, {
        Alias(_, node) {
            problems.push(`${at(node.range?.[0])}: alias *${node.source}: aliases and anchors are not accepted in a stack file; write the value out`);
        },
        Node(_, node) {
            if (isScalar(node) || isMap(node) || isSeq(node)) {
                if (node.anchor)
                    problems.push(`${at(node.range?.[0])}: anchor &${node.anchor}: aliases and anchors are not accepted in a stack file; write the value out`);
            }
        },
        Pair(_, pair) {
            if (pair.key !== null && !isScalar(pair.key)) {
                problems.push(`${at((pair.key as { range?: [number] }).range?.[0])}: a list or mapping used as a key; keys are plain names`);
                return;
            }
            const key = isScalar(pair.key) ? pair.key.value : pair.key;
            if (typeof key === "string" && PROTOTYPE_KEYS.has(key)) {
                problems.push(
                    `${at(isScalar(pair.key) ? pair.key.range?.[0] : undefined)}: key "${key}" is refused (it names a JavaScript prototype property, never a setting)`,
                );
            }
        },
    });
    if (problems.length > 0) throw new StackFileError(problems);
    const parsed: unknown = doc.toJS({ maxAliasCount: 0 });
    if (parsed === null || parsed === undefined) return {};
    if (typeof parsed !== "object" || Array.isArray(parsed))
        throw new StackFileError([`${name}:1: must be a mapping of keys (config:, ...), got ${Array.isArray(parsed) ? "a list" : typeof parsed}`]);
    const record = parsed as Record<string, unknown>;
    const config = record.config;
    if (config !== undefined && config !== null && (typeof config !== "object" || Array.isArray(config))) {
        const line = isMap(doc.contents) ? doc.contents.items.find((item) => isScalar(item.key) && item.key.value === "config")?.key : undefined;
        throw new StackFileError([
            `${at(isScalar(line) ? line.range?.[0] : undefined)}: config: must be a mapping of keys to values, got ${Array.isArray(config) ? "a list" : typeof config}`,
        ]);
    }
    return record;
}

/**
 * Reads Pulumi.yaml's declared defaults and Pulumi.<stack>.yaml's values, the stack's values
 * winning per key as in the CLI. Throws when the stack file does not exist.
 */
export function loadStackConfig(stack: string, projectDir: string = PROJECT_DIR): StackConfig {
    const stackFile = path.join(projectDir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(stackFile)) throw new MissingStackError(path.basename(stackFile), projectDir);

    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    const declared = (readYaml(path.join(projectDir, "Pulumi.yaml")).config ?? {}) as Record<string, unknown>;
    const values = (readYaml(stackFile).config ?? {}) as Record<string, unknown>;
    const onStack = new Set(Object.keys(values).map(qualify));
    const missing: string[] = [];
    for (const [key, declaration] of Object.entries(declared)) {
        const isDeclaration =
            typeof declaration === "object" &&
            declaration !== null &&
            !Array.isArray(declaration) &&
            ["type", "description", "default", "value", "secret", "items"].some((field) => field in declaration);
        const value = isDeclaration ? ((declaration as { value?: unknown }).value ?? (declaration as { default?: unknown }).default) : declaration;
        if (value !== undefined && value !== null) config[qualify(key)] = encode(value);
        // The CLI's rule (pulumi/pulumi sdk/go/common/workspace/config.go, mergeConfig): a key of
        // the project's namespace declared with neither value nor default is required on every stack.
        else if (!onStack.has(qualify(key)) && qualify(key).startsWith(`${PROJECT}:`)) missing.push(key);
    }
    if (missing.length > 0) {
        const names = missing.map((key) => `'${key}'`).join(", ");
        throw new ConfigError([
            `Stack '${stack}' is missing configuration value${missing.length > 1 ? "s" : ""} ${names}: Pulumi.yaml declares ${missing.length > 1 ? "them" : "it"} without a default, so the Pulumi CLI refuses the stack before the program runs`,
        ]);
    }
    for (const [key, raw] of Object.entries(values)) {
        const { value, secret } = opaque(raw);
        config[qualify(key)] = encode(value);
        if (secret) secretKeys.push(qualify(key));
    }
    return { config, secretKeys };
}
