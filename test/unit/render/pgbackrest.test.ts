import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseSpec } from "../../../components/config";
import { IMAGE_CONTEXT_DIR } from "../../../components/image";
import { WAL_ARCHIVE_DIR } from "../../../components/image/runtime";
import { CONTAINER_LAYOUT, renderServices } from "../../../components/render";
import {
    BACKUP_STANZA,
    PGBACKREST_SECRETS_CONFIG_PATH,
    REPOSITORY_MOUNT,
    STANZA_MARKER,
    STANZA_UPGRADE_MARKER,
    containerPgdata,
    pgbackrestArchiveCommand,
    pgbackrestCommand,
    pgbackrestConfPath,
    pgbackrestRestoreConfPath,
    pgbackrestSecretsFile,
    renderPgbackrestConf,
    renderPgbackrestRestoreConf,
    renderPgbackrestSecrets,
    restoreTypeAndTarget,
    supportsZstd,
} from "../../../components/render/pgbackrest";

const options = (conf: string) =>
    Object.fromEntries(
        conf
            .split("\n")
            .filter((l) => l.includes("="))
            .map((l) => l.split(/=(.*)/s).slice(0, 2)),
    );

describe("pgbackrest.conf", () => {
    it("keeps a volume repository on the image's archive folder, 7 days of full backups, zstd, fast start", () => {
        const conf = renderPgbackrestConf(parseSpec({}), CONTAINER_LAYOUT);
        expect(REPOSITORY_MOUNT).toBe(WAL_ARCHIVE_DIR);
        expect(conf).toContain(`[${BACKUP_STANZA}]`);
        expect(options(conf)).toMatchObject({
            "repo1-path": WAL_ARCHIVE_DIR,
            "repo1-retention-full-type": "time",
            "repo1-retention-full": "7",
            "compress-type": "zst",
            "start-fast": "y",
            "pg1-path": "/var/lib/postgresql/18/docker",
            "pg1-port": "5432",
        });
        expect(conf).not.toContain("repo1-type");
    });

    it("keeps 30 days in production and finds PGDATA of older majors where the image puts it", () => {
        const conf = renderPgbackrestConf(parseSpec({ production: true, postgres: { version: 16 } }), CONTAINER_LAYOUT);
        expect(options(conf)["repo1-retention-full"]).toBe("30");
        expect(options(conf)["pg1-path"]).toBe("/var/lib/postgresql/16/docker");
        // The image sets that layout for every major, whatever its base image had.
        const dockerfile = readFileSync(path.join(IMAGE_CONTEXT_DIR, "Dockerfile"), "utf8");
        expect(dockerfile).toMatch(/^ENV PGDATA=\/var\/lib\/postgresql\/\$\{PG_MAJOR\}\/docker$/m);
        expect(containerPgdata(16)).toBe("/var/lib/postgresql/16/docker");
    });

    it("names the stanza markers the image's scripts leave and remove", () => {
        const script = (name: string) => readFileSync(path.join(IMAGE_CONTEXT_DIR, name), "utf8");
        expect(script("docker-auto-config-entrypoint.sh")).toContain(`touch "$PGDATA/${STANZA_UPGRADE_MARKER}"`);
        expect(script("restore-from-backup.sh")).toContain(`rm -f -- "$PGDATA/${STANZA_MARKER}"`);
        const archive = pgbackrestArchiveCommand(CONTAINER_LAYOUT);
        expect(archive).toContain(`test -f ${STANZA_UPGRADE_MARKER} && ${pgbackrestCommand(CONTAINER_LAYOUT)} stanza-upgrade`);
        expect(archive).toContain(`touch ${STANZA_MARKER} && rm -f ${STANZA_UPGRADE_MARKER}`);
    });

    it("names an S3 repository without any credential", () => {
        const spec = parseSpec({ backup: { repository: { type: "s3", bucket: "pg-backups", endpoint: "minio:9000", region: "us-east-1", pathStyle: true } } });
        const conf = renderPgbackrestConf(spec, CONTAINER_LAYOUT);
        expect(options(conf)).toMatchObject({
            "repo1-type": "s3",
            "repo1-s3-bucket": "pg-backups",
            "repo1-s3-endpoint": "minio:9000",
            "repo1-s3-region": "us-east-1",
            "repo1-s3-uri-style": "path",
            "repo1-path": "/pgbackrest",
        });
        expect(conf).not.toMatch(/s3-key|cipher-pass/);
    });

    it("falls back to gzip on a pgBackRest without zstd", () => {
        expect(supportsZstd("2.26")).toBe(false);
        expect(supportsZstd("2.60")).toBe(true);
        expect(options(renderPgbackrestConf(parseSpec({}), CONTAINER_LAYOUT, { pgbackrestVersion: "2.20" }))["compress-type"]).toBe("gz");
    });

    it("is delivered to the writer beside postgresql.conf when backups are on, never to a replica", () => {
        const path = pgbackrestConfPath(CONTAINER_LAYOUT);
        const services = renderServices(parseSpec({ topology: "primary", replicas: 1 }));
        expect(services.find((s) => s.name === "primary")?.files.map((f) => f.path)).toContain(path);
        expect(services.find((s) => s.name === "replica-1")?.files.map((f) => f.path)).not.toContain(path);
        const off = renderServices(parseSpec({ backup: { enabled: false } }));
        expect(off.flatMap((s) => s.files.map((f) => f.path))).not.toContain(path);
    });
});

describe("pgBackRest encryption, secrets and restore", () => {
    const S3 = { type: "s3", bucket: "pg-backups", endpoint: "s3.eu-west-1.amazonaws.com", region: "eu-west-1" };

    it("names the cipher type in pgbackrest.conf when encrypted, never the pass", () => {
        const conf = renderPgbackrestConf(parseSpec({ production: true }), CONTAINER_LAYOUT);
        expect(options(conf)["repo1-cipher-type"]).toBe("aes-256-cbc");
        expect(conf).not.toContain("cipher-pass");
        expect(renderPgbackrestConf(parseSpec({}), CONTAINER_LAYOUT)).not.toContain("cipher");
    });

    it("every pgbackrest command reads the secret file's folder (optional there: a stack without secrets has none)", () => {
        expect(pgbackrestCommand(CONTAINER_LAYOUT)).toContain(`--config-path=${PGBACKREST_SECRETS_CONFIG_PATH}`);
        expect(pgbackrestSecretsFile(PGBACKREST_SECRETS_CONFIG_PATH)).toBe(`${PGBACKREST_SECRETS_CONFIG_PATH}/conf.d/pgbackrest-secrets.conf`);
    });

    it("renders the secret file with only what is given, refusing a value that could add options", () => {
        expect(renderPgbackrestSecrets({ s3Key: "AKIA1", s3KeySecret: "s3cr3t" })).toMatch(/\[global\]\nrepo1-s3-key=AKIA1\nrepo1-s3-key-secret=s3cr3t\n$/);
        expect(renderPgbackrestSecrets({ cipherPass: "p" })).toMatch(/\[global\]\nrepo1-cipher-pass=p\n$/);
        expect(() => renderPgbackrestSecrets({ cipherPass: "p\nrepo1-path=/tmp" })).toThrow("repo1-cipher-pass");
        expect(() => renderPgbackrestSecrets({ s3Key: " AKIA1" })).toThrow("repo1-s3-key");
    });

    it("renders another stack's repository for the restore alone, delivered beside pgbackrest.conf", () => {
        const spec = parseSpec({ backup: { restore: { from: { ...S3, bucket: "other-stack" }, fromEncrypted: true, target: { latest: true } } } });
        const conf = renderPgbackrestRestoreConf(spec, CONTAINER_LAYOUT) ?? "";
        expect(options(conf)).toMatchObject({ "repo1-type": "s3", "repo1-s3-bucket": "other-stack", "repo1-cipher-type": "aes-256-cbc" });
        expect(options(renderPgbackrestConf(spec, CONTAINER_LAYOUT))["repo1-path"]).toBe(WAL_ARCHIVE_DIR);
        const files = renderServices(spec)[0].files.map((f) => f.path);
        expect(files).toContain(pgbackrestRestoreConfPath(CONTAINER_LAYOUT));
        expect(renderPgbackrestRestoreConf(parseSpec({ backup: { restore: { target: { latest: true } } } }), CONTAINER_LAYOUT)).toBeUndefined();
    });

    it("turns each restore target into pgBackRest's type and target", () => {
        expect(restoreTypeAndTarget({ time: "2026-11-29T22:40:00Z" })).toEqual({ type: "time", target: "2026-11-29 22:40:00+00" });
        expect(restoreTypeAndTarget({ time: "2026-11-29T23:40:00.250+01:00" })).toEqual({ type: "time", target: "2026-11-29 23:40:00.250+01:00" });
        expect(restoreTypeAndTarget({ restorePoint: "before-upgrade" })).toEqual({ type: "name", target: "before-upgrade" });
        expect(restoreTypeAndTarget({ latest: true })).toEqual({ type: "default" });
    });
});
