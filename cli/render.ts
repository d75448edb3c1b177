// `npm run render -- --stack <name> --out <dir>`: writes every file the stack's self-hosted
// services receive, one folder per service, with placeholders where a secret goes.
// Exit codes: 0 written (or nothing to write for a managed target), 2 usage or configuration error.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { readRawConfig } from "../components/program";
import { renderServices, type RenderedService } from "../components/render";
import { parseSpec, type PlatformSpec } from "../components/config";
import { configFailure, loadStackConfig } from "./stack-config";

const SELF_HOSTED: readonly PlatformSpec["target"][] = ["docker", "kubernetes"];

/** Writes each service's files under `<out>/<service>/<basename>`; returns the paths written. */
export function writeServices(services: readonly RenderedService[], out: string): string[] {
    const written: string[] = [];
    for (const service of services) {
        const dir = path.join(out, service.name);
        fs.mkdirSync(dir, { recursive: true });
        for (const file of service.files) {
            const target = path.join(dir, path.basename(file.path));
            fs.writeFileSync(target, file.content, { mode: file.mode });
            fs.chmodSync(target, file.mode);
            written.push(target);
        }
    }
    return written;
}

function main(): number {
    const usage = "usage: npm run render -- --stack <name> --out <dir>";
    let values: { stack?: string; out?: string };
    try {
        ({ values } = parseArgs({ options: { stack: { type: "string" }, out: { type: "string" } } }));
    } catch (error) {
        // An unknown or malformed option is a usage error (exit 2), not a crash.
        console.error(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
        return 2;
    }
    if (!values.stack || !values.out) {
        console.error(usage);
        return 2;
    }
    let spec: PlatformSpec;
    let services: RenderedService[];
    try {
        spec = parseSpec(readRawConfig(loadStackConfig(values.stack).config));
        services = renderServices(spec);
    } catch (error) {
        const refusal = configFailure(values.stack, error);
        if (!refusal) throw error;
        console.error(refusal);
        return 2;
    }
    if (!SELF_HOSTED.includes(spec.target)) {
        console.log(`Stack "${values.stack}" runs on ${spec.target}: the managed service takes parameters, not files. Nothing written.`);
        return 0;
    }
    const written = writeServices(services, path.resolve(values.out));
    for (const service of services) {
        console.log(`${service.name}/`);
        for (const file of service.files)
            console.log(`  ${path.basename(file.path).padEnd(22)} -> ${file.path} (mode ${file.mode.toString(8).padStart(4, "0")})`);
    }
    console.log(`\n${written.length} files written under ${path.resolve(values.out)}. Secrets are placeholders (<<pg-platform secret for ROLE>>).`);
    return 0;
}

if (require.main === module) process.exit(main());
