import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseSpec, type PlatformSpec } from "../../../components/config";
import { ENTRYPOINT_PATH } from "../../../components/image/runtime";
import { renderServices } from "../../../components/render";
import { CONTAINER_LAYOUT } from "../../../components/render/layout";
import {
    PGBACKREST_SECRETS_CONFIG_PATH,
    containerPgdata,
    pgbackrestCommand,
    pgbackrestSecretsFile,
    renderPgbackrestSecrets,
    type PgbackrestSecrets,
} from "../../../components/render/pgbackrest";
import { DATA_MOUNT } from "../../../components/self-hosted/server";
import { createNetwork, createVolume, docker, runContainer, useLocalImages, type ContainerFile, type TestContainer } from "../../helpers/containers";
import { OWNER as owner, psqlIn, randomPasswords, runWriter, sh, writerFiles } from "../../helpers/writer";
import { makeCa, signCertificate, type TestCa } from "../../helpers/tls";

// Issue 13, the S3 path and encryption at rest on real containers: the platform's image (the
// Debian-built stand-in, pgBackRest 2.60) archives and backs up into an S3 bucket of a real S3
// API server (Debian's moto_server behind nginx's TLS, test/images/s3) verified against the test's CA, with
// the repository encrypted (aes-256-cbc). The S3 keys and the cipher pass reach pgBackRest only
// through the secret file the targets deliver (mode 0600): the test then looks for them in
// `docker inspect`, the rendered files and the process list, and for plaintext in the bucket.

const PGDATA = containerPgdata(18);
const pgbackrest = pgbackrestCommand(CONTAINER_LAYOUT);
const BUCKET = "pg-backups";
const S3_HOST = "s3";
const S3_PORT = 9000;
/** Where the test's CA is in the PostgreSQL containers; pgBackRest is told by its own environment option. */
const CA_PATH = "/etc/ssl/private-s3-ca.crt";
/** A value only the application rows hold: it must not be readable anywhere in the bucket. */
const MARKER = `plaintext-marker-${randomBytes(6).toString("hex")}`;

const images = useLocalImages();
let network: string;
let ca: TestCa;
let s3: TestContainer;

/** Builds test/images/s3 on the Debian base (tagged by its files' hash and the base, so a rerun is a cache hit). */
async function s3Image(): Promise<string> {
    const context = path.join(__dirname, "../../images/s3");
    const hash = createHash("sha256").update(images.debian);
    for (const name of fs.readdirSync(context).sort()) {
        const file = path.join(context, name);
        hash.update(`${name} ${fs.statSync(file).mode}\n`).update(fs.readFileSync(file));
    }
    const tag = `pg-platform-test/s3:${hash.digest("hex").slice(0, 16)}`;
    if ((await docker(["image", "inspect", tag])).code === 0) return tag;
    const built = await docker(["build", "-q", "--build-arg", `BASE_IMAGE=${images.debian}`, "-t", tag, context], { timeoutMs: 1_200_000 });
    expect(built.code, built.stderr).toBe(0);
    return tag;
}

/** Runs Python with boto3 (moto's own dependency) inside the S3 container, against the server. */
async function boto(script: string): Promise<string> {
    const prelude = [
        "import boto3, sys",
        `s3 = boto3.client("s3", endpoint_url="https://127.0.0.1:${S3_PORT}", verify=False, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")`,
    ].join("\n");
    const result = await s3.exec(["python3", "-W", "ignore", "-c", `${prelude}\n${script}`], { timeoutMs: 120_000 });
    expect(result.code, result.stderr).toBe(0);
    return result.stdout;
}

beforeAll(async () => {
    network = await createNetwork();
    ca = await makeCa("s3-test");
    const certificate = await signCertificate(ca, { commonName: S3_HOST, dnsNames: [S3_HOST], ipAddresses: [] }, "s3");
    const nobody = { uid: 65534, gid: 65534 };
    s3 = await runContainer({
        image: await s3Image(),
        network,
        aliases: [S3_HOST],
        files: [
            { path: "/tmp/s3/s3.crt", content: certificate.cert, ...nobody },
            { path: "/tmp/s3/s3.key", content: certificate.key, mode: 0o600, ...nobody },
        ],
        memoryMb: 512,
    });
    // The server takes a few seconds to start: create the bucket as soon as it answers.
    for (let i = 0; ; i++) {
        const result = await s3.exec([
            "python3",
            "-W",
            "ignore",
            "-c",
            `import boto3; boto3.client("s3", endpoint_url="https://127.0.0.1:${S3_PORT}", verify=False, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x").create_bucket(Bucket="${BUCKET}")`,
        ]);
        if (result.code === 0) break;
        if (i > 60) throw new Error(`moto_server did not answer: ${result.stderr}\n${await s3.logs()}`);
        await new Promise((r) => setTimeout(r, 1000));
    }
}, 1_800_000);

/** The stack: an S3 repository on the test's server, path-style, TLS verified, encrypted. */
function s3Spec(enabled = true): PlatformSpec {
    return parseSpec({
        target: "docker",
        postgres: { memory: "1GiB", cpus: 1, extensions: ["pg_stat_statements", "pgaudit"] },
        backup: {
            enabled,
            encrypted: true,
            repository: { type: "s3", bucket: BUCKET, endpoint: `${S3_HOST}:${S3_PORT}`, region: "us-east-1", pathStyle: true, verifyTls: true },
        },
    });
}

const secrets: Required<PgbackrestSecrets> = {
    s3Key: `AKIA${randomBytes(8).toString("hex").toUpperCase()}`,
    s3KeySecret: randomBytes(24).toString("base64url"),
    cipherPass: randomBytes(32).toString("hex"),
};
const passwords = randomPasswords(s3Spec());

/** The writer's files as the Docker target uploads them, with the given pgBackRest secret file. */
function files(spec: PlatformSpec, pgbackrestSecrets: PgbackrestSecrets): ContainerFile[] {
    return [
        ...writerFiles(spec, passwords),
        { path: pgbackrestSecretsFile(PGBACKREST_SECRETS_CONFIG_PATH), content: renderPgbackrestSecrets(pgbackrestSecrets), mode: 0o600, ...owner },
        { path: CA_PATH, content: fs.readFileSync(ca.cert, "utf8") },
    ];
}

/** pgBackRest's own environment option for the CA (the platform relies on the image's system CAs). */
const CA_ENV = { PGBACKREST_REPO1_STORAGE_CA_FILE: CA_PATH };

/** The writer as the Docker target runs it; `spec` decides its command (a restored server's without archiving), the files are the S3 stack's. */
async function writer(spec: PlatformSpec, data: string): Promise<TestContainer> {
    return runWriter(images.postgres, spec, {
        network,
        entrypoint: [ENTRYPOINT_PATH],
        env: CA_ENV,
        files: files(s3Spec(), secrets),
        volumes: [{ name: data, path: DATA_MOUNT }],
    });
}

// The superuser's own database: the test needs no init SQL (roles and databases are not what it proves).
const psql = psqlIn("postgres");

/** `pgbackrest restore` into a new data volume in a one-shot container; its exit code, output and the volume. */
async function restoreJob(pgbackrestSecrets: PgbackrestSecrets, options: string): Promise<{ code: number; logs: string; data: string; seconds: number }> {
    const data = await createVolume();
    const started = Date.now();
    const job = await runContainer({
        image: images.postgres,
        network,
        entrypoint: ["sh", "-ec"],
        command: [`mkdir -p ${PGDATA} && chmod 0700 ${PGDATA} && ${pgbackrest} ${options} restore`],
        env: CA_ENV,
        files: files(s3Spec(), pgbackrestSecrets),
        volumes: [{ name: data, path: DATA_MOUNT }],
        memoryMb: 1024,
    });
    const code = await job.waitExit(600_000);
    return { code, logs: await job.logs(), data, seconds: (Date.now() - started) / 1000 };
}

describe("pgBackRest on an S3 API server, TLS verified, repository encrypted", () => {
    it("archives and backs up into the bucket encrypted, restores to a time T with the key, refuses without it, and shows no credential", async () => {
        const spec = s3Spec();
        const primary = await writer(spec, await createVolume());
        // A fixed size for the restore figure: ~200k rows of 200 bytes (about 60 MB on disk).
        await psql(
            primary,
            `CREATE TABLE big AS SELECT g AS id, repeat('x', 200) AS filler FROM generate_series(1, 200000) g; CREATE TABLE t (id int PRIMARY KEY, phase text NOT NULL, note text);`,
        );
        const size = (await psql(primary, "SELECT pg_size_pretty(pg_database_size('postgres'))")).trim();
        // The archiver may be creating the stanza at the same moment (it holds the lock meanwhile).
        const stanza = await primary.exec(["sh", "-ec", `for i in $(seq 30); do ${pgbackrest} stanza-create && break; sleep 2; done; ${pgbackrest} check`], {
            timeoutMs: 300_000,
        });
        expect(stanza.code, `${stanza.stderr}\n${await primary.logs()}\n${await s3.logs()}`).toBe(0);
        let started = Date.now();
        await sh(primary, `${pgbackrest} --type=full backup`);
        const backupSeconds = (Date.now() - started) / 1000;

        for (let i = 1; i <= 50; i++) await psql(primary, `INSERT INTO t VALUES (${i}, 'before', '${MARKER}')`);
        const target = (await psql(primary, "SELECT clock_timestamp()")).trim();
        await new Promise((r) => setTimeout(r, 1500));
        for (let i = 51; i <= 100; i++) await psql(primary, `INSERT INTO t VALUES (${i}, 'after', '${MARKER}')`);
        await sh(primary, `psql -XAtq -c 'SELECT pg_switch_wal()' && ${pgbackrest} check`);

        // No credential in clear: not in the container's configuration, the rendered files, or any process's command line.
        const inspect = (await docker(["inspect", primary.name])).stdout;
        const rendered = renderServices(spec, { passwords })[0]
            .files.map((file) => file.content)
            .join("\n");
        const processes = await sh(primary, "ps -eo args 2>/dev/null || cat /proc/[0-9]*/cmdline | tr '\\0' ' '");
        for (const value of Object.values(secrets)) {
            expect(inspect).not.toContain(value);
            expect(rendered).not.toContain(value);
            expect(processes).not.toContain(value);
        }
        expect(rendered).toContain("repo1-cipher-type=aes-256-cbc");

        // Encrypted at rest: every object in the bucket starts with OpenSSL's "Salted__" header
        // (pgBackRest's aes-256-cbc), none with zstd's magic or pgBackRest's plaintext info header,
        // and the rows' marker is nowhere.
        const listing = await boto(
            [
                `marker = b"${MARKER}"`,
                `for page in s3.get_paginator("list_objects_v2").paginate(Bucket="${BUCKET}"):`,
                `    for o in page.get("Contents", []):`,
                `        body = s3.get_object(Bucket="${BUCKET}", Key=o["Key"])["Body"].read()`,
                `        print(o["Key"], body[:8].hex(), marker in body)`,
            ].join("\n"),
        );
        const objects = listing
            .trim()
            .split("\n")
            .map((line) => line.split(" "));
        expect(
            objects.some(([key]) => key.endsWith("backup.info")),
            listing,
        ).toBe(true);
        expect(
            objects.some(([key]) => /\/archive\/.+\/[0-9A-F]{24}-/.test(key)),
            listing,
        ).toBe(true);
        for (const [key, head, hasMarker] of objects) {
            expect(head, key).toBe(Buffer.from("Salted__").toString("hex"));
            expect(hasMarker, key).toBe("False");
        }
        await primary.remove();

        // Without the cipher pass, and with a wrong one, the repository cannot be read.
        const noKey = await restoreJob({ s3Key: secrets.s3Key, s3KeySecret: secrets.s3KeySecret }, "--type=default");
        expect(noKey.code, noKey.logs).not.toBe(0);
        const wrongKey = await restoreJob({ ...secrets, cipherPass: randomBytes(32).toString("hex") }, "--type=default");
        expect(wrongKey.code, wrongKey.logs).not.toBe(0);

        // With it: to T, every row before T and none after.
        started = Date.now();
        const restored = await restoreJob(secrets, `--type=time "--target=${target}" --target-action=promote`);
        expect(restored.code, restored.logs).toBe(0);
        const server = await writer(s3Spec(false), restored.data);
        for (let i = 0; i < 120 && (await psql(server, "SELECT pg_is_in_recovery()")).trim() !== "f"; i++) await new Promise((r) => setTimeout(r, 1000));
        const seconds = (Date.now() - started) / 1000;
        expect((await psql(server, "SELECT phase, count(*), min(id), max(id) FROM t GROUP BY phase ORDER BY phase")).trim()).toBe("before|50|1|50");
        expect((await psql(server, "SELECT count(*) FROM big")).trim()).toBe("200000");
        console.log(
            `S3 (moto_server, TLS, aes-256-cbc): database ${size}; full backup ${backupSeconds.toFixed(1)} s; ` +
                `restore to T through S3 + recovery + promote ${seconds.toFixed(1)} s (pgBackRest download ${restored.seconds.toFixed(1)} s), 1 CPU, this machine; ${objects.length} objects, all encrypted`,
        );
    }, 1_800_000);
});
