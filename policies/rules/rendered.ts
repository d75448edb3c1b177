import * as path from "node:path";
import { TYPES, propsOf, type InspectedResource, type KubernetesFiles } from "./resources";
import { UNKNOWN, known, knownItems, knownKeys, notKnownYet, type Maybe } from "./unknowns";

/** Basenames of the files the platform renders for self-hosted servers. */
export const RENDERED_FILES = {
    postgresql: "postgresql.conf",
    hba: "pg_hba.conf",
    pgbouncer: "pgbouncer.ini",
    pgbackrest: "pgbackrest.conf",
} as const;

/** One of {@link RENDERED_FILES}. */
export type RenderedFileName = (typeof RENDERED_FILES)[keyof typeof RENDERED_FILES];

const decodeBase64 = (text: string) => Buffer.from(text, "base64").toString("utf8");

/** Entry `basename` of a ConfigMap's or Secret's map, if present; an unresolved map yields nothing (see known-at-preview). */
function fromEntries(read: () => Readonly<Record<string, string>> | undefined, basename: string, decode: (text: string) => string): Maybe<string>[] {
    const keys = knownKeys(read);
    if (keys === UNKNOWN || !keys.includes(basename)) return [];
    const value = known(() => (read() as Readonly<Record<string, string>>)[basename]);
    return [value === UNKNOWN ? UNKNOWN : decode(value)];
}

const same = (text: string) => text;

/**
 * The contents of every file named `basename` that the resource ships: a Docker container's
 * `uploads` (matched on the path's basename), a ConfigMap's `data`/`binaryData`, a Secret's
 * `stringData`/`data`. Empty for every other resource. In a preview a file whose content (or,
 * for an upload, whose path) is not resolved yet is {@link UNKNOWN}, and the rules fail closed
 * on it; a ConfigMap or Secret whose whole map is unresolved (a Kubernetes Secret's data always
 * is while a password in it is) shows no names at all, and known-at-preview judges it through
 * the pods that mount it.
 */
export function renderedFiles(resource: InspectedResource, basename: RenderedFileName): Maybe<string>[] {
    const container = propsOf(resource, TYPES.dockerContainer);
    if (container) {
        const uploads = knownItems(() => container.uploads);
        if (uploads === UNKNOWN) return [UNKNOWN];
        return uploads.flatMap((upload) => {
            if (upload === UNKNOWN) return [UNKNOWN];
            const file = known(() => upload.file);
            if (file === UNKNOWN) return [UNKNOWN];
            if (path.posix.basename(file) !== basename) return [];
            const content = known(() => upload.content);
            if (content !== undefined) return [content];
            const base64 = known(() => upload.contentBase64);
            if (base64 === UNKNOWN) return [UNKNOWN];
            return base64 !== undefined ? [decodeBase64(base64)] : [];
        });
    }
    const configMap = propsOf(resource, TYPES.kubernetesConfigMap);
    if (configMap) return [...fromEntries(() => configMap.data, basename, same), ...fromEntries(() => configMap.binaryData, basename, decodeBase64)];
    const secret: KubernetesFiles | undefined = propsOf(resource, TYPES.kubernetesSecret);
    if (secret) return [...fromEntries(() => secret.stringData, basename, same), ...fromEntries(() => secret.data, basename, decodeBase64)];
    return [];
}

/**
 * The known contents of the files named `basename` the resource ships, and for each one the gate
 * cannot read in a preview, the fail-closed finding (one per file).
 */
export function readableFiles(resource: InspectedResource, basename: RenderedFileName): { readonly contents: string[]; readonly unreadable: string[] } {
    const files = renderedFiles(resource, basename);
    const contents = files.filter((file): file is string => file !== UNKNOWN);
    const unreadable = files
        .filter((file) => file === UNKNOWN)
        .map(() => `${notKnownYet(`the ${basename} that ${resource.name} ships`)}; render it from the stack's configuration alone`);
    return { contents, unreadable };
}

/** Splits off a `#` comment that is not inside `quote`-delimited text. */
function stripComment(line: string, quote: string): string {
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
        if (line[i] === quote) quoted = !quoted;
        else if (!quoted && line[i] === "#") return line.slice(0, i);
    }
    return line;
}

const POSTGRES_INCLUDES = new Set(["include", "include_if_exists", "include_dir"]);

/**
 * postgresql.conf settings by lower-case name, the last occurrence winning as in PostgreSQL;
 * quoted values are unquoted. `include` directives are skipped: the gate sees only this file.
 */
export function parsePostgresConf(content: string): Map<string, string> {
    const settings = new Map<string, string>();
    for (const raw of content.split(/\r?\n/)) {
        const match = /^\s*([A-Za-z_][\w.]*)\s*(?:=\s*|\s+)(.*?)\s*$/.exec(stripComment(raw, "'"));
        if (!match || POSTGRES_INCLUDES.has(match[1].toLowerCase())) continue;
        const value = match[2];
        const unquoted = /^'(.*)'$/.exec(value)?.[1].replace(/''|\\'/g, "'") ?? value;
        settings.set(match[1].toLowerCase(), unquoted);
    }
    return settings;
}

/**
 * An ini file (pgbouncer.ini) as section → key → value, names lower-cased. Keys before any
 * section land in section "". Comments are whole lines starting with `;` or `#`, as in
 * PgBouncer (a `#` inside a connection string is data). `%include` lines are skipped.
 */
export function parseIni(content: string): Map<string, Map<string, string>> {
    const sections = new Map<string, Map<string, string>>([["", new Map()]]);
    let current = sections.get("") as Map<string, string>;
    for (const raw of content.split(/\r?\n/)) {
        const line = raw.trim();
        if (/^[;#]/.test(line)) continue;
        const section = /^\[(.+)\]$/.exec(line);
        if (section) {
            const name = section[1].trim().toLowerCase();
            current = sections.get(name) ?? new Map<string, string>();
            sections.set(name, current);
            continue;
        }
        const entry = /^([^=%]+?)\s*=\s*(.*)$/.exec(line);
        if (entry) current.set(entry[1].toLowerCase(), entry[2]);
    }
    return sections;
}

/** One rule of a pg_hba.conf. */
export interface HbaRule {
    /** 1-based line number where the rule starts. */
    readonly line: number;
    /** The rule as written (continuations joined, comment removed). */
    readonly text: string;
    /** local, host, hostssl, hostnossl, hostgssenc or hostnogssenc. */
    readonly type: string;
    /** Database field. */
    readonly database: string;
    /** User field. */
    readonly user: string;
    /** Client address (CIDR, IP, host name or keyword); undefined for `local`. */
    readonly address: string | undefined;
    /** Authentication method, lower-cased. */
    readonly method: string;
}

/** A field: one item or a comma-separated list, each item bare or double-quoted (quotes may hold spaces). */
const HBA_FIELD = /(?:"[^"]*"|[^\s,"]+)(?:,(?:"[^"]*"|[^\s,"]+))*/g;

function hbaFields(text: string): string[] {
    return [...text.matchAll(HBA_FIELD)].map((m) => m[0]);
}

const NETMASK = /^(\d{1,3}\.){3}\d{1,3}$|^[0-9a-f:]*:[0-9a-f:]*$/i;

/**
 * The rules of a pg_hba.conf in order. Backslash continuations are joined; a host rule
 * written as `address netmask` is read as one address. Include directives are skipped
 * (the gate sees only this file).
 */
export function parseHba(content: string): HbaRule[] {
    const rules: HbaRule[] = [];
    const lines = content.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
        const start = i;
        let text = stripComment(lines[i], '"');
        while (/\\\s*$/.test(text) && i + 1 < lines.length) text = text.replace(/\\\s*$/, " ") + stripComment(lines[++i], '"');
        const fields = hbaFields(text.trim());
        if (fields.length < 4 || fields[0].startsWith("include")) continue;
        const type = fields[0].toLowerCase();
        const local = type === "local";
        let methodIndex = local ? 3 : 4;
        if (!local && !fields[3].includes("/") && fields[4] !== undefined && NETMASK.test(fields[4]) && fields[5] !== undefined) methodIndex = 5;
        if (fields[methodIndex] === undefined) continue;
        rules.push({
            line: start + 1,
            text: fields.join(" "),
            type,
            database: fields[1],
            user: fields[2],
            address: local ? undefined : fields[3],
            method: fields[methodIndex].toLowerCase(),
        });
    }
    return rules;
}
