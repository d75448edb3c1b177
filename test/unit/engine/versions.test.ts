import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(__dirname, "..", "..", "..");

interface Pin {
    version: string;
    npmPackage?: string;
    module: string;
    package: string;
}
interface PluginPin extends Pin {
    name: string;
    kind: string;
}
interface EngineVersions {
    cli: Pin;
    languageHost: Pin;
    plugins: PluginPin[];
}
interface LockFile {
    packages: Record<string, { version?: string }>;
}

const pins = JSON.parse(readFileSync(join(root, "scripts", "engine-versions.json"), "utf8")) as EngineVersions;
const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as LockFile;

/** The version package-lock.json resolved for an npm package (the root install, not a nested copy). */
function lockedVersion(npmPackage: string): string | undefined {
    return lock.packages[`node_modules/${npmPackage}`]?.version;
}

/** Every pin that follows an npm SDK, labelled for the failure message. */
const npmPins = (
    [["the Pulumi CLI", pins.cli], ["the Node.js language host", pins.languageHost], ...pins.plugins.map((p) => [`the ${p.name} ${p.kind} plugin`, p])] as [
        string,
        Pin,
    ][]
).filter((entry): entry is [string, Pin & { npmPackage: string }] => entry[1].npmPackage !== undefined);

describe("scripts/engine-versions.json", () => {
    it("pins the CLI, the language host and the docker, random and tls plugins to an npm SDK each", () => {
        expect(pins.cli.npmPackage).toBe("@pulumi/pulumi");
        expect(pins.languageHost.npmPackage).toBe("@pulumi/pulumi");
        const byName = new Map(pins.plugins.map((p) => [p.name, p]));
        for (const name of ["docker", "random", "tls"]) {
            expect(byName.get(name)?.npmPackage, `plugin ${name}`).toBe(`@pulumi/${name}`);
        }
    });

    it.each(npmPins)("pins %s to the version package-lock.json resolved", (_label, pin) => {
        const locked = lockedVersion(pin.npmPackage);
        expect(locked, `${pin.npmPackage} is not in package-lock.json`).toBeDefined();
        expect(pin.version, `${pin.npmPackage}: engine-versions.json says ${pin.version}, package-lock.json ${locked}`).toBe(locked);
    });

    it("names Go modules whose major-version suffix fits the pinned version, and packages inside them", () => {
        for (const pin of [pins.cli, pins.languageHost, ...pins.plugins]) {
            const major = Number(pin.version.split(".")[0]);
            const suffix = /\/v(\d+)$/.exec(pin.module)?.[1];
            // Go modules at v0 and v1 carry no suffix; v2 and up must end in /vN.
            expect(suffix === undefined ? major <= 1 : Number(suffix) === major, `${pin.module} for ${pin.version}`).toBe(true);
            expect(pin.package === pin.module || pin.package.startsWith(`${pin.module}/`), `${pin.package} in ${pin.module}`).toBe(true);
        }
    });

    it("pins the language host at the CLI's release", () => {
        expect(pins.languageHost.version).toBe(pins.cli.version);
    });
});
