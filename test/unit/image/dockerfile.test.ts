import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { DockerfileParser, type Instruction } from "dockerfile-ast";
import { describe, expect, it } from "vitest";
import { IMAGE_CONTEXT_DIR } from "../../../components/image";
import { dockerfileBaseImages } from "../../../policies/rules/pinned-images";
import { EXTENSION_PINS, POSTGRES_BASE_IMAGE, POSTGRES_IMAGE_VERSION } from "../../../components/image/extensions";
import {
    APPLY_INIT_SQL_PATH,
    BACKUP_SCRIPT_PATH,
    ENTRYPOINT_PATH,
    HEALTHCHECK_PATH,
    REPLICA_BOOTSTRAP_PATH,
    SCRIPT_LIB_PATH,
    UPGRADE_CLUSTER_PATH,
    VERIFY_RESTORE_PATH,
    RESTORE_PATH,
    WAL_ARCHIVE_DIR,
} from "../../../components/image/runtime";

const text = fs.readFileSync(path.join(IMAGE_CONTEXT_DIR, "Dockerfile"), "utf8");
const dockerfile = DockerfileParser.parse(text);
const instructions = dockerfile.getInstructions();
/** The sourced die/say beside the scripts: read, not run. */
const LIB = "lib.sh";
const scripts = fs.readdirSync(IMAGE_CONTEXT_DIR).filter((file) => file.endsWith(".sh") && file !== LIB);

/** Global ARG defaults (before the first FROM), as BuildKit sees them without build args. */
const argDefaults = new Map(
    dockerfile.getInitialARGs().flatMap((arg) => {
        const property = arg.getProperty();
        const value = property?.getValue();
        return property && value !== null && value !== undefined ? [[property.getName(), value] as const] : [];
    }),
);
const expand = (value: string) =>
    value.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced?: string, bare?: string) => argDefaults.get((braced ?? bare) as string) ?? "");
const stageOf = (instruction: Instruction) =>
    dockerfile
        .getFROMs()
        .filter((from) => from.getRange().start.line <= instruction.getRange().start.line)
        .at(-1);
const finalStage = instructions.filter((i) => stageOf(i) === dockerfile.getFROMs().at(-1));

describe("the image's Dockerfile", () => {
    it("starts every stage from the digest-pinned base (ARG BASE_IMAGE's default) or an earlier stage", () => {
        // The FROM lines with build args resolved as Docker does, earlier stages left out.
        expect(dockerfileBaseImages(text)).toEqual([POSTGRES_BASE_IMAGE]);
        // A build that passes another base says so explicitly; the default is the pin.
        expect(dockerfileBaseImages(text, { BASE_IMAGE: "postgres:18" })).toEqual(["postgres:18"]);
    });

    it("checks out every extension source at a full commit, the one the component pins", () => {
        const builds = instructions
            .filter((i) => i.getKeyword() === "RUN" && /build-extension\.sh\s/.test(i.getArgumentsContent() ?? ""))
            .map((i) => /build-extension\.sh\s+(\S+)\s+(\S+)\s+(\S+)/.exec(i.getArgumentsContent() ?? "") as RegExpExecArray)
            .map(([, name, url, commit]) => ({ name, url, commit: expand(commit.replace(/"/g, "")) }));
        expect(builds.map((b) => b.name)).toEqual(EXTENSION_PINS.map((pin) => pin.name));
        for (const build of builds) {
            const pin = EXTENSION_PINS.find((p) => p.name === build.name);
            expect(build.commit).toMatch(/^[0-9a-f]{40}$/);
            expect(build.commit).toBe(pin?.commit);
            expect(build.url).toBe(`${pin?.repository}.git`);
        }
        // No other way of fetching sources.
        expect(text).not.toMatch(/git\s+clone|git\s+checkout|ADD\s+https?:/i);
    });

    it("has ARG defaults equal to the component's pins, so a hand build builds the same image", () => {
        for (const pin of EXTENSION_PINS) {
            expect(argDefaults.get(`${pin.argPrefix}_VERSION`)).toBe(pin.version);
            expect(argDefaults.get(`${pin.argPrefix}_COMMIT`)).toBe(pin.commit);
        }
        expect(argDefaults.get("BUILD_PGVECTOR")).toBe("false");
    });

    it("never pipes a download into a shell and never names latest", () => {
        for (const file of ["Dockerfile", LIB, ...scripts]) {
            const content = fs.readFileSync(path.join(IMAGE_CONTEXT_DIR, file), "utf8");
            expect(content, file).not.toMatch(/(curl|wget)[^\n|]*\|\s*(ba)?sh/);
            expect(content, file).not.toMatch(/:latest\b/);
        }
    });

    it("copies only the builders' staged extension files into the final image", () => {
        const fromStages = dockerfile.getCOPYs().filter((c) => c.getFromFlag());
        expect(fromStages.map((c) => [c.getFromFlag()?.getValue(), ...c.getArguments().map((a) => a.getValue())])).toEqual(
            EXTENSION_PINS.map((pin) => [pin.name, "/out/", "/"]),
        );
        expect(fromStages.every((c) => stageOf(c)?.getBuildStage() === "final")).toBe(true);
        // The helper stages only the library and the control/SQL files under /out.
        const helper = fs.readFileSync(path.join(IMAGE_CONTEXT_DIR, "build-extension.sh"), "utf8");
        expect(helper.match(/cp -a .*"\/out\$[a-z_]+\/"/g)).toEqual([
            'cp -a "/stage/$name$lib_dir/." "/out$lib_dir/"',
            'cp -a "/stage/$name$extension_dir/." "/out$extension_dir/"',
        ]);
    });

    it("installs every script at the path the targets use, as the entrypoint and healthcheck", () => {
        const scriptCopy = dockerfile.getCOPYs().find((c) => c.getArguments().some((a) => a.getValue() === "healthcheck.sh"));
        const args = scriptCopy?.getArguments().map((a) => a.getValue()) ?? [];
        const dir = args.at(-1) as string;
        expect(
            args
                .slice(0, -1)
                .map((file) => path.posix.join(dir, file))
                .sort(),
        ).toEqual(
            [
                ENTRYPOINT_PATH,
                APPLY_INIT_SQL_PATH,
                HEALTHCHECK_PATH,
                REPLICA_BOOTSTRAP_PATH,
                UPGRADE_CLUSTER_PATH,
                BACKUP_SCRIPT_PATH,
                VERIFY_RESTORE_PATH,
                RESTORE_PATH,
            ].sort(),
        );
        expect(
            dockerfile
                .getENTRYPOINTs()[0]
                .getJSONStrings()
                .map((s) => s.getJSONValue()),
        ).toEqual([ENTRYPOINT_PATH]);
        expect(
            dockerfile
                .getCMDs()[0]
                .getJSONStrings()
                .map((s) => s.getJSONValue()),
        ).toEqual(["postgres"]);
        expect(dockerfile.getHEALTHCHECKs()[0].getArgumentsContent()).toContain(`CMD ["${HEALTHCHECK_PATH}"]`);
    });

    it("creates the WAL archive mount point owned by postgres, so archiving into a fresh volume works", () => {
        const runs = finalStage.filter((i) => i.getKeyword() === "RUN").map((i) => i.getArgumentsContent());
        expect(runs).toContain(`install -d -o postgres -g postgres -m 0700 ${WAL_ARCHIVE_DIR}`);
    });

    it("runs as the unprivileged postgres user and labels the PostgreSQL and extension versions", () => {
        const users = finalStage.filter((i) => i.getKeyword() === "USER").map((i) => i.getArgumentsContent());
        expect(users).toEqual(["postgres"]);
        const labels = finalStage.find((i) => i.getKeyword() === "LABEL")?.getArgumentsContent() ?? "";
        expect(labels).toContain(`org.opencontainers.image.version="${POSTGRES_IMAGE_VERSION}"`);
        expect(labels).toContain(`org.opencontainers.image.base.digest="${POSTGRES_BASE_IMAGE.split("@")[1]}"`);
        for (const label of ["org.opencontainers.image.source", "org.opencontainers.image.revision"]) expect(labels).toContain(label);
        for (const pin of EXTENSION_PINS) {
            expect(labels).toContain(`pg-platform.extension.${pin.name}.version="\${${pin.argPrefix}_VERSION}"`);
            expect(labels).toContain(`pg-platform.extension.${pin.name}.revision="\${${pin.argPrefix}_COMMIT}"`);
        }
    });

    it("orders the final stage stable to volatile and caches apt downloads across builds", () => {
        const order = finalStage.map((i) => i.getKeyword());
        const lastCopy = order.lastIndexOf("COPY");
        expect(order.indexOf("LABEL")).toBeGreaterThan(lastCopy);
        expect(order.indexOf("USER")).toBeGreaterThan(lastCopy);
        const scriptCopyIndex = finalStage.findIndex((i) => (i.getArgumentsContent() ?? "").includes("healthcheck.sh"));
        expect(scriptCopyIndex).toBe(lastCopy);
        expect(text).toMatch(
            /RUN --mount=type=cache,target=\/var\/cache\/apt,sharing=locked \\\n\s+--mount=type=cache,target=\/var\/lib\/apt,sharing=locked \\\n\s+apt-get update/,
        );
    });
});

describe("the image's scripts", () => {
    it("are clean under shellcheck", () => {
        expect(scripts.sort()).toEqual([
            "apply-init-sql.sh",
            "backup.sh",
            "build-extension.sh",
            "docker-auto-config-entrypoint.sh",
            "healthcheck.sh",
            "replica-bootstrap.sh",
            "restore-from-backup.sh",
            "upgrade-cluster.sh",
            "verify-restore.sh",
        ]);
        const result = spawnSync("shellcheck", ["--severity=style", LIB, ...scripts], { cwd: IMAGE_CONTEXT_DIR, encoding: "utf8" });
        expect(result.error, "shellcheck must be installed (apt-get install shellcheck)").toBeUndefined();
        expect(result.stdout + result.stderr).toBe("");
        expect(result.status).toBe(0);
    });

    it("are executable bash with strict mode", () => {
        for (const script of scripts) {
            const file = path.join(IMAGE_CONTEXT_DIR, script);
            expect(fs.statSync(file).mode & 0o111, script).not.toBe(0);
            const content = fs.readFileSync(file, "utf8");
            expect(content.startsWith("#!/usr/bin/env bash\n"), script).toBe(true);
            expect(content, script).toContain("\nset -euo pipefail\n");
        }
    });

    it("share one die/say: each runtime script sources lib.sh from beside it, which the image installs there", () => {
        // build-extension.sh runs in the builder stages, where the lib is not copied; the healthcheck has its own verb.
        const sourcing = scripts.filter((script) =>
            fs.readFileSync(path.join(IMAGE_CONTEXT_DIR, script), "utf8").includes('\nsource "$(dirname "${BASH_SOURCE[0]}")/lib.sh"\n'),
        );
        expect(sourcing.sort()).toEqual([
            "apply-init-sql.sh",
            "backup.sh",
            "docker-auto-config-entrypoint.sh",
            "replica-bootstrap.sh",
            "restore-from-backup.sh",
            "upgrade-cluster.sh",
            "verify-restore.sh",
        ]);
        for (const script of sourcing) expect(fs.readFileSync(path.join(IMAGE_CONTEXT_DIR, script), "utf8"), script).not.toMatch(/^(die|say)\(\)/m);
        const libCopy = dockerfile.getCOPYs().find((c) => c.getArguments().some((a) => a.getValue() === LIB));
        expect(libCopy?.getArguments().map((a) => a.getValue())).toEqual([LIB, SCRIPT_LIB_PATH]);
        expect(path.posix.dirname(SCRIPT_LIB_PATH)).toBe(path.posix.dirname(ENTRYPOINT_PATH));
    });

    it("build-extension.sh refuses a name that is not a plain word before deleting or writing anything", () => {
        for (const name of ["", "..", "pg_cron/../.."]) {
            const result = spawnSync(
                path.join(IMAGE_CONTEXT_DIR, "build-extension.sh"),
                [name, "https://github.com/citusdata/pg_cron.git", "465b38c737f584d520229f5a1d69d1d44649e4e5"],
                { encoding: "utf8" },
            );
            expect(result.status, name).toBe(1);
            expect(result.stderr, name).toBe(`build-extension: extension name must be lower-case letters, digits and _ (got "${name}")\n`);
        }
    });

    it("build-extension.sh refuses anything but a full commit before fetching", () => {
        const run = (commit: string) =>
            spawnSync(path.join(IMAGE_CONTEXT_DIR, "build-extension.sh"), ["pg_cron", "https://github.com/citusdata/pg_cron.git", commit], {
                encoding: "utf8",
            });
        for (const ref of ["v1.6.7", "main", "465b38c"]) {
            const result = run(ref);
            expect(result.status).toBe(1);
            expect(result.stderr).toBe(`build-extension: pg_cron: commit must be 40 lower-case hex digits (got "${ref}"); tags can move, commits cannot\n`);
        }
    });
});
