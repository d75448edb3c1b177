// Protocol-level (named) prepared statements from the pg client through the transaction pool,
// under concurrency, on PgBouncer >= 1.21: the stand-in image scripts/build-images.sh builds
// from Debian sid (PgBouncer 1.26.1; the pinned image is 1.25.1), run on the host network with
// the pool's rendered files, in front of a real PostgreSQL 18.4. Debian 12's 1.18, which the
// other tests run, refuses max_prepared_statements; without that image this suite is skipped.
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContainerPools, localPgbouncerImage } from "../../../cli/bench";
import { freePort, scratchDir, stopAll } from "../../../cli/local/processes";
import { bootPrimary, testSpec, type BootedPrimary } from "../../../cli/local/stack";
import { pgbouncerAtLeast, renderPgbouncerIni } from "../../../components/render";

const image = localPgbouncerImage();
const POOL_SIZE = 2;
const CLIENTS = 16;
const ROUNDS = 40;

describe.skipIf(!image)("named prepared statements through the transaction pool on PgBouncer >= 1.21 (container)", () => {
    const spec = testSpec(18, { topology: "primary", pooler: { transaction: { defaultPoolSize: POOL_SIZE, reservePoolSize: 0 } } });
    let booted: BootedPrimary;
    let pools: ContainerPools;
    let port: number;
    let version: string;

    beforeAll(async () => {
        booted = await bootPrimary(spec);
        pools = new ContainerPools(image!.docker, image!.image);
        const found = pools.version();
        version = found.version;
        const layout = {
            ...booted.layout,
            pgbouncerConfigDir: scratchDir("pgbouncer-ps"),
            poolPorts: { transaction: await freePort(), session: await freePort() },
            pgbouncerVersion: version,
        };
        expect(renderPgbouncerIni(spec, "transaction", layout)).toMatch(/^max_prepared_statements = 200$/m);
        port = await pools.start(booted, layout, found.binary);
    });
    afterAll(async () => {
        pools?.stopAll();
        await stopAll();
    });

    it(`serves ${CLIENTS} clients × ${ROUNDS} named statements over ${POOL_SIZE} server connections, each answered right`, async () => {
        expect(pgbouncerAtLeast(version, "1.21")).toBe(true);
        const clients = await Promise.all(
            Array.from({ length: CLIENTS }, async () => {
                const client = new Client({ host: "127.0.0.1", port, user: "app_app", password: booted.secrets.passwords.app_app, database: "app" });
                await client.connect();
                return client;
            }),
        );
        const backends = new Set<number>();
        const perClient: Set<number>[] = [];
        try {
            await Promise.all(
                clients.map(async (client, c) => {
                    const seen = new Set<number>();
                    perClient.push(seen);
                    for (let i = 0; i < ROUNDS; i++) {
                        // The same names on every client: PgBouncer maps each to its own server-side name.
                        const sum = await client.query<{ n: number; pid: number }>({
                            name: "add",
                            text: "SELECT $1::int + $2::int AS n, pg_backend_pid() AS pid",
                            values: [c, i],
                        });
                        expect(sum.rows[0].n).toBe(c + i);
                        const who = await client.query<{ u: string }>({ name: "who", text: "SELECT current_user AS u" });
                        expect(who.rows[0].u).toBe("app_app");
                        seen.add(sum.rows[0].pid);
                        backends.add(sum.rows[0].pid);
                    }
                }),
            );
        } finally {
            await Promise.all(clients.map((client) => client.end()));
        }
        // Multiplexed: the clients shared at most the pool's server connections, and clients'
        // statements ran on more than one backend, where PgBouncer had to prepare them again.
        expect(backends.size).toBeLessThanOrEqual(POOL_SIZE);
        expect(perClient.some((seen) => seen.size > 1)).toBe(true);
    });
});
