import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkStack } from "../../cli/check";
import { PROJECT_DIR } from "../../cli/stack-config";
import type { GateResource } from "../../policies/offline";
import { edited, messages, one } from "./gate";

const CONTAINER = "docker:index/container:Container";
type Upload = { file: string; content: string };
type Props = Record<string, unknown>;

const gate = (resources: Awaited<ReturnType<typeof checkStack>>["resources"]): GateResource[] =>
    resources.map((r) => ({ urn: r.urn, type: r.type, name: r.name, parent: r.parent, props: r.inputs }));

const upload = (props: Props, basename: string) => (props.uploads as Upload[]).find((u) => u.file.endsWith(`/${basename}`)) as Upload;
const editUpload = (basename: string, change: (content: string) => string) => (props: Props) => ({
    ...props,
    uploads: (props.uploads as Upload[]).map((u) => (u.file.endsWith(`/${basename}`) ? { ...u, content: change(u.content) } : u)),
});

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

describe("the pack on the docker target's real output (the committed dev stack)", () => {
    let dev: GateResource[];
    beforeAll(async () => {
        dev = gate((await checkStack("dev")).resources);
    });

    it("the real files and containers are SCRAM-only, loopback-bound, pinned and slot-bounded", async () => {
        for (const rule of ["scram-only-auth", "localhost-binding", "pinned-images", "bounded-replication-slots"])
            expect(await messages(rule, dev), rule).toEqual([]);
        const primary = one(dev, CONTAINER, "-primary");
        expect(upload(primary.props, "pg_hba.conf").content).toContain("scram-sha-256");
        expect(upload(primary.props, "postgresql.conf").content).toContain("max_slot_wal_keep_size");
    });

    it("scram-only-auth: the real pg_hba.conf with an md5 rule appended", async () => {
        const primary = one(dev, CONTAINER, "-primary");
        const line = upload(primary.props, "pg_hba.conf").content.split("\n").length;
        const md5 = edited(
            primary,
            editUpload("pg_hba.conf", (content) => `${content}host all all 10.0.0.0/8 md5\n`),
        );
        expect(await messages("scram-only-auth", md5)).toEqual([
            `pg_hba.conf line ${line} (host all all 10.0.0.0/8 md5) uses method md5; allowed methods: scram-sha-256, peer, reject`,
        ]);
    });

    it("localhost-binding: the real primary with its port's ip dropped", async () => {
        const primary = edited(one(dev, CONTAINER, "-primary"), (props) => ({ ...props, ports: (props.ports as Props[]).map(({ ip: _ip, ...port }) => port) }));
        expect(await messages("localhost-binding", primary)).toEqual([
            `container port 5432 (host 5433) has no ip, so Docker publishes it on every interface (0.0.0.0); set ip to 127.0.0.1 or ::1 (or add "${primary.name}" to localhost-binding.exceptions in the stack's policy config)`,
        ]);
    });

    it("pinned-images: the real pooler pointed at a tag", async () => {
        const pooler = edited(one(dev, CONTAINER, "-pooler-transaction"), (props) => ({ ...props, image: "edoburu/pgbouncer:latest" }));
        expect(await messages("pinned-images", pooler)).toEqual([
            "image edoburu/pgbouncer:latest is not pinned by digest; reference it as <repository>@sha256:<digest>",
        ]);
    });

    it("bounded-replication-slots: the real primary's postgresql.conf without its bound", async () => {
        const primary = edited(
            one(dev, CONTAINER, "-primary"),
            editUpload("postgresql.conf", (content) => content.replace(/^max_slot_wal_keep_size.*$/m, "")),
        );
        expect(await messages("bounded-replication-slots", primary)).toEqual([
            "postgresql.conf does not set max_slot_wal_keep_size although replication slots are enabled: an inactive slot then keeps WAL until the disk fills; set it (postgres.maxSlotWalKeepSize, default 10GB)",
        ]);
    });

    it("tls-required: with postgres.tls.enabled (as dev has it) nothing admits plain TCP; without TLS the real pg_hba.conf does", async () => {
        expect(await messages("tls-required", dev)).toEqual([]);

        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgp-plain-"));
        dirs.push(dir);
        fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
        fs.writeFileSync(
            path.join(dir, "Pulumi.dev.yaml"),
            "config:\n  pg-platform:target: docker\n  pg-platform:topology: primary\n  pg-platform:replicas: 1\n",
        );
        const withoutTls = gate((await checkStack("dev", { projectDir: dir })).resources);
        const plain = (await messages("tls-required", one(withoutTls, CONTAINER, "-primary"))).filter((m) => m.startsWith("pg_hba.conf"));
        expect(plain).toEqual([
            'pg_hba.conf line 10 (host replication "replicator" all scram-sha-256) admits connections without TLS; use hostssl, or put "hostnossl all all all reject" before it',
            'pg_hba.conf line 14 (host all all all scram-sha-256) admits connections without TLS; use hostssl, or put "hostnossl all all all reject" before it',
        ]);
    });
});
