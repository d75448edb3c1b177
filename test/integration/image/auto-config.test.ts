import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IMAGE_CONTEXT_DIR } from "../../../components/image";
import { AUTO_TUNED_PARAMETERS } from "../../../components/image/runtime";
import { initCluster, startPostgres } from "../../../cli/local/postgres";
import { PG_BIN, freePort, run, scratchDir, startProcess, stopAll, waitFor } from "../../../cli/local/processes";
import { Client } from "pg";

const ENTRYPOINT = path.join(IMAGE_CONTEXT_DIR, "docker-auto-config-entrypoint.sh");

/**
 * The documented rules (seed 001, facts.md) as a table: memory settings depend on RAM only,
 * worker settings on CPUs only. Written out by hand, not computed, so a change in the script
 * cannot silently change what the test expects.
 */
const BY_RAM: Record<number, Record<string, string>> = {
    512: { max_connections: "80", shared_buffers: "128MB", effective_cache_size: "384MB", maintenance_work_mem: "32MB", work_mem: "1MB" },
    1024: { max_connections: "120", shared_buffers: "256MB", effective_cache_size: "768MB", maintenance_work_mem: "32MB", work_mem: "2MB" },
    2048: { max_connections: "120", shared_buffers: "512MB", effective_cache_size: "1536MB", maintenance_work_mem: "64MB", work_mem: "4MB" },
    4096: { max_connections: "200", shared_buffers: "1024MB", effective_cache_size: "3072MB", maintenance_work_mem: "128MB", work_mem: "5MB" },
    8192: { max_connections: "200", shared_buffers: "2048MB", effective_cache_size: "6144MB", maintenance_work_mem: "256MB", work_mem: "10MB" },
    32768: { max_connections: "200", shared_buffers: "6553MB", effective_cache_size: "24576MB", maintenance_work_mem: "1024MB", work_mem: "32MB" },
    65536: { max_connections: "200", shared_buffers: "9830MB", effective_cache_size: "49152MB", maintenance_work_mem: "2048MB", work_mem: "32MB" },
};
const BY_CPUS: Record<number, Record<string, string>> = {
    1: { max_worker_processes: "9", max_parallel_workers: "1", max_parallel_workers_per_gather: "0", max_parallel_maintenance_workers: "0", io_workers: "3" },
    2: { max_worker_processes: "10", max_parallel_workers: "2", max_parallel_workers_per_gather: "1", max_parallel_maintenance_workers: "1", io_workers: "3" },
    8: { max_worker_processes: "16", max_parallel_workers: "8", max_parallel_workers_per_gather: "4", max_parallel_maintenance_workers: "4", io_workers: "4" },
    64: {
        max_worker_processes: "72",
        max_parallel_workers: "64",
        max_parallel_workers_per_gather: "4",
        max_parallel_maintenance_workers: "4",
        io_workers: "32",
    },
};
const RAM_SIZES = Object.keys(BY_RAM).map(Number);
const CPU_COUNTS = Object.keys(BY_CPUS).map(Number);
const expected = (ram: number, cpus: number) => ({ ...BY_RAM[ram], ...BY_CPUS[cpus] });

/** Size in kB of one unit of PostgreSQL's memory settings (BLCKSZ pages, kB or MB); checked against pg_settings below. */
const UNIT_KB: Record<string, number> = {
    shared_buffers: 8,
    effective_cache_size: 8,
    maintenance_work_mem: 1,
    work_mem: 1,
    min_wal_size: 1024,
    max_wal_size: 1024,
};
const UNIT_NAME: Record<number, string> = { 1: "kB", 8: "8kB", 1024: "MB" };

/** A value as `postgres -C` prints it: memory settings in their base unit. */
function inBaseUnits(name: string, value: string): string {
    const mb = /^(\d+)MB$/.exec(value);
    return mb ? String((Number(mb[1]) * 1024) / UNIT_KB[name]) : value;
}

/** cgroup v1's "no limit" in memory.limit_in_bytes: what Docker shows a container without --memory. */
const V1_UNLIMITED = "9223372036854771712";

/** Where cgroup v1 mounts the cpu controller: with cpuacct (Docker, systemd) or alone. */
type V1CpuDir = "cpu,cpuacct" | "cpu";

/**
 * Fake detection sources: a cgroup root as a container sees it (v2 files at the root, v1 files
 * in one folder per controller) and a meminfo file.
 */
function hostFiles(files: {
    memoryMax?: string;
    cpuMax?: string;
    memTotalKb?: number;
    /** cgroup v1 memory/memory.limit_in_bytes. */
    v1MemoryLimit?: string;
    /** cgroup v1 cpu.cfs_quota_us and cpu.cfs_period_us (period default 100000), in `v1CpuDir`. */
    v1CpuQuota?: string;
    v1CpuPeriod?: string;
    v1CpuDir?: V1CpuDir;
}): Record<string, string> {
    const dir = scratchDir("host");
    const write = (file: string, content: string) => {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), `${content}\n`);
    };
    if (files.memoryMax !== undefined) write("memory.max", files.memoryMax);
    if (files.cpuMax !== undefined) write("cpu.max", files.cpuMax);
    if (files.v1MemoryLimit !== undefined) write("memory/memory.limit_in_bytes", files.v1MemoryLimit);
    if (files.v1CpuQuota !== undefined) {
        const cpuDir = files.v1CpuDir ?? "cpu,cpuacct";
        write(`${cpuDir}/cpu.cfs_quota_us`, files.v1CpuQuota);
        write(`${cpuDir}/cpu.cfs_period_us`, files.v1CpuPeriod ?? "100000");
    }
    write("meminfo", `MemTotal:       ${files.memTotalKb ?? 16 * 1024 * 1024} kB\nMemFree:         1000 kB`);
    return { PG_AUTOCONFIG_CGROUP_ROOT: dir, PG_AUTOCONFIG_MEMINFO: path.join(dir, "meminfo") };
}

const MIB = 1024 * 1024;
const GIB_KB = 1024 * 1024;

/** A container with `ram` MB and `cpus` CPUs, as cgroup v2 describes it. */
const container = (ram: number, cpus: number) => hostFiles({ memoryMax: String(ram * 1024 * 1024), cpuMax: `${cpus * 100000} 100000` });

/** Runs `--print` (as whoever runs the tests: it starts nothing) with a clean environment. */
async function print(env: Record<string, string>) {
    const clean = { PATH: process.env.PATH ?? "/usr/bin:/bin", PG_MAJOR: "18", ...env };
    const result = await run("env", ["-i", ...Object.entries(clean).map(([k, v]) => `${k}=${v}`), ENTRYPOINT, "--print"], { unprivileged: false });
    return {
        ...result,
        settings: Object.fromEntries(
            result.stdout
                .trim()
                .split("\n")
                .filter(Boolean)
                .map((line) => line.split(/=(.*)/s).slice(0, 2) as [string, string]),
        ),
    };
}

const flags = (settings: Record<string, string>) => Object.entries(settings).flatMap(([name, value]) => ["-c", `${name}=${value}`]);

afterAll(stopAll);

describe("auto-tuning --print: the documented table", () => {
    it.each(RAM_SIZES.flatMap((ram) => CPU_COUNTS.map((cpus) => [ram, cpus] as const)))("%i MB, %i CPUs (cgroup v2)", async (ram, cpus) => {
        const result = await print(container(ram, cpus));
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
        // Exact lines, in order, exactly as passed to -c.
        expect(result.stdout).toBe(
            `${Object.entries(expected(ram, cpus))
                .map(([name, value]) => `${name}=${value}`)
                .join("\n")}\n`,
        );
        const s = result.settings;
        for (const name of ["max_parallel_workers", "max_parallel_workers_per_gather", "max_parallel_maintenance_workers"]) {
            expect(Number(s[name])).toBeLessThanOrEqual(Number(s.max_worker_processes));
        }
    });
});

describe("auto-tuning --print: where memory and CPUs come from", () => {
    it("POSTGRES_MEMORY wins over the cgroup limit and /proc/meminfo", async () => {
        const { settings } = await print({ ...hostFiles({ memoryMax: String(8192 * 1048576), memTotalKb: 65536 * 1024 }), POSTGRES_MEMORY: "2048" });
        expect(settings.shared_buffers).toBe("512MB");
    });

    it("an empty POSTGRES_MEMORY counts as unset (compose files often pass one)", async () => {
        const { settings } = await print({ ...hostFiles({ memoryMax: String(4096 * 1048576) }), POSTGRES_MEMORY: "" });
        expect(settings.shared_buffers).toBe("1024MB");
    });

    it("without a cgroup limit (memory.max is max, or absent) reads MemTotal, rounding down", async () => {
        expect((await print(hostFiles({ memoryMax: "max", memTotalKb: 4096 * 1024 + 1023 }))).settings.shared_buffers).toBe("1024MB");
        expect((await print(hostFiles({ memTotalKb: 65536 * 1024 }))).settings.shared_buffers).toBe("9830MB");
    });

    it("rounds a fractional CPU quota up, and uses the nproc override only without a quota", async () => {
        expect((await print({ ...hostFiles({ cpuMax: "150000 100000" }), PG_AUTOCONFIG_NPROC: "64" })).settings.max_parallel_workers).toBe("2");
        expect((await print({ ...hostFiles({ cpuMax: "max 100000" }), PG_AUTOCONFIG_NPROC: "8" })).settings.max_parallel_workers).toBe("8");
        expect((await print({ ...hostFiles({}), PG_AUTOCONFIG_NPROC: "1" })).settings.max_parallel_workers).toBe("1");
    });

    it("sets io_workers only for PostgreSQL 18 and later", async () => {
        const { settings } = await print({ ...container(2048, 8), PG_MAJOR: "15" });
        expect(settings.io_workers).toBeUndefined();
        expect(Object.keys(settings)).toEqual(Object.keys(expected(2048, 8)).filter((name) => name !== "io_workers"));
    });
});

/**
 * Fake cgroup trees of both versions, and what the container must be tuned for: `ram` MB and
 * `cpus` CPUs, rows of the documented table above. The host behind them has 8 GB unless the
 * row says otherwise, and 64 CPUs by `nproc` wherever cgroup sets no quota.
 */
const CGROUP_TREES: [string, Parameters<typeof hostFiles>[0], Record<string, string>, number, number][] = [
    ["v2: memory.max and cpu.max", { memoryMax: String(1024 * MIB), cpuMax: "200000 100000" }, {}, 1024, 2],
    ["v2: both max, so MemTotal and nproc", { memoryMax: "max", cpuMax: "max 100000" }, {}, 8192, 64],
    [
        "v1 (cpu,cpuacct): a 1 GiB, 2 CPU container on a 24 GiB host",
        { v1MemoryLimit: String(1024 * MIB), v1CpuQuota: "200000", memTotalKb: 24 * GIB_KB },
        {},
        1024,
        2,
    ],
    ["v1 (cpu alone): a fractional quota rounds up", { v1MemoryLimit: String(2048 * MIB), v1CpuQuota: "150000", v1CpuDir: "cpu" }, {}, 2048, 2],
    ["v1: quota over a longer period", { v1MemoryLimit: String(4096 * MIB), v1CpuQuota: "400000", v1CpuPeriod: "50000" }, {}, 4096, 8],
    ["v1: less than one CPU is one", { v1MemoryLimit: String(512 * MIB), v1CpuQuota: "50000" }, {}, 512, 1],
    ["v1: the unlimited sentinel and quota -1, so MemTotal and nproc", { v1MemoryLimit: V1_UNLIMITED, v1CpuQuota: "-1" }, {}, 8192, 64],
    ["v1: a limit above the host's RAM limits nothing", { v1MemoryLimit: String(32768 * MIB), v1CpuQuota: "-1" }, {}, 8192, 64],
    ["v1: memory controller only, no cpu folder", { v1MemoryLimit: String(2048 * MIB) }, {}, 2048, 64],
    [
        "v2 before v1 when both are there",
        { memoryMax: String(2048 * MIB), cpuMax: "100000 100000", v1MemoryLimit: String(4096 * MIB), v1CpuQuota: "800000" },
        {},
        2048,
        1,
    ],
    ["v1 when v2's memory.max says max", { memoryMax: "max", v1MemoryLimit: String(1024 * MIB) }, {}, 1024, 64],
    ["POSTGRES_MEMORY before a v1 limit", { v1MemoryLimit: String(1024 * MIB), v1CpuQuota: "800000" }, { POSTGRES_MEMORY: "4096" }, 4096, 8],
];

describe("auto-tuning --print: cgroup v1 and v2", () => {
    it.each(CGROUP_TREES)("%s", async (_title, files, env, ram, cpus) => {
        const result = await print({ ...hostFiles({ memTotalKb: 8 * GIB_KB, ...files }), PG_AUTOCONFIG_NPROC: "64", ...env });
        expect(result).toMatchObject({ code: 0, stderr: "" });
        expect(result.settings).toEqual(expected(ram, cpus));
    });

    it.each([
        [{ v1MemoryLimit: "lots" }, (root: string) => `cannot read a memory limit from ${root}/memory/memory.limit_in_bytes (got "lots")`],
        [
            { v1MemoryLimit: String(256 * MIB) },
            (root: string) => `256 MB of memory (cgroup ${root}/memory/memory.limit_in_bytes); PostgreSQL needs at least 512 MB`,
        ],
        [
            { v1MemoryLimit: String(1024 * MIB), v1CpuQuota: "lots" },
            (root: string) => `cannot read a CPU quota from ${root}/cpu,cpuacct/cpu.cfs_quota_us (got "lots 100000")`,
        ],
        [
            { v1MemoryLimit: String(1024 * MIB), v1CpuQuota: "100000", v1CpuPeriod: "0", v1CpuDir: "cpu" as const },
            (root: string) => `cannot read a CPU quota from ${root}/cpu/cpu.cfs_quota_us (got "100000 0")`,
        ],
    ])("v1 %j exits 1 with one line", async (files, message) => {
        const host = hostFiles(files);
        const result = await print(host);
        expect(result).toMatchObject({ code: 1, stdout: "", stderr: `docker-auto-config-entrypoint: ${message(host.PG_AUTOCONFIG_CGROUP_ROOT)}\n` });
    });
});

describe("auto-tuning --print: profiles", () => {
    it.each([
        ["oltp", { max_connections: "300", work_mem: "6MB", min_wal_size: "2048MB", max_wal_size: "8192MB" }],
        ["web", { max_connections: "200", work_mem: "10MB", min_wal_size: "1024MB", max_wal_size: "4096MB" }],
        ["dw", { max_connections: "100", work_mem: "40MB", maintenance_work_mem: "512MB", min_wal_size: "4096MB", max_wal_size: "16384MB" }],
    ] as const)("POSTGRES_WORKLOAD=%s adjusts connections, work_mem and WAL sizes (8 GB)", async (workload, changes) => {
        const { settings, code } = await print({ ...container(8192, 8), POSTGRES_WORKLOAD: workload });
        expect(code).toBe(0);
        expect(settings).toEqual({ ...expected(8192, 8), ...changes });
    });

    it("lets dw sorts grow past the 32 MB cap, up to 256 MB", async () => {
        expect((await print({ ...container(65536, 8), POSTGRES_WORKLOAD: "dw" })).settings.work_mem).toBe("256MB");
    });

    it.each([
        ["ssd", { random_page_cost: "1.1", effective_io_concurrency: "200" }],
        ["hdd", { random_page_cost: "4", effective_io_concurrency: "2" }],
    ] as const)("POSTGRES_STORAGE=%s sets I/O costs", async (storage, changes) => {
        expect((await print({ ...container(2048, 2), POSTGRES_STORAGE: storage })).settings).toEqual({ ...expected(2048, 2), ...changes });
    });
});

describe("auto-tuning --print: bad inputs", () => {
    it.each([
        [{ POSTGRES_MEMORY: "2GB" }, 'POSTGRES_MEMORY must be a whole number of MB from 1 to 1048576 (got "2GB")'],
        [{ POSTGRES_MEMORY: "0" }, 'POSTGRES_MEMORY must be a whole number of MB from 1 to 1048576 (got "0")'],
        [{ POSTGRES_MEMORY: "-1024" }, 'POSTGRES_MEMORY must be a whole number of MB from 1 to 1048576 (got "-1024")'],
        [{ POSTGRES_MEMORY: "0512" }, 'POSTGRES_MEMORY must be a whole number of MB from 1 to 1048576 (got "0512")'],
        [{ POSTGRES_MEMORY: "1048577" }, 'POSTGRES_MEMORY must be a whole number of MB from 1 to 1048576 (got "1048577")'],
        [{ POSTGRES_MEMORY: "511" }, "511 MB of memory (POSTGRES_MEMORY); PostgreSQL needs at least 512 MB"],
        [{ POSTGRES_WORKLOAD: "batch" }, 'POSTGRES_WORKLOAD must be web, oltp or dw (got "batch")'],
        [{ POSTGRES_STORAGE: "nvme" }, 'POSTGRES_STORAGE must be ssd or hdd (got "nvme")'],
        [{ PG_AUTOCONFIG_NPROC: "two" }, 'PG_AUTOCONFIG_NPROC must be a whole number of CPUs (got "two")'],
    ])("%j exits 1 with one line", async (env, message) => {
        // A host without a CPU quota, so the nproc override is read too.
        const result = await print({ ...hostFiles({ memoryMax: String(2048 * 1048576) }), PG_AUTOCONFIG_NPROC: "2", ...env });
        expect(result).toMatchObject({ code: 1, stdout: "", stderr: `docker-auto-config-entrypoint: ${message}\n` });
    });

    it("refuses a cgroup limit under 512 MB and says where it came from", async () => {
        const files = hostFiles({ memoryMax: String(256 * 1048576) });
        const result = await print(files);
        expect(result).toMatchObject({
            code: 1,
            stderr: `docker-auto-config-entrypoint: 256 MB of memory (cgroup ${files.PG_AUTOCONFIG_CGROUP_ROOT}/memory.max); PostgreSQL needs at least 512 MB\n`,
        });
    });

    it("refuses an unreadable meminfo and a garbled cpu.max", async () => {
        const noMeminfo = await print({ PG_AUTOCONFIG_CGROUP_ROOT: "/nonexistent", PG_AUTOCONFIG_MEMINFO: "/nonexistent/meminfo" });
        expect(noMeminfo).toMatchObject({
            code: 1,
            stderr: "docker-auto-config-entrypoint: cannot read MemTotal from /nonexistent/meminfo; set POSTGRES_MEMORY (MB)\n",
        });
        const files = hostFiles({ memoryMax: "max", cpuMax: "lots 100000" });
        expect(await print(files)).toMatchObject({
            code: 1,
            stderr: `docker-auto-config-entrypoint: cannot read a CPU quota from ${files.PG_AUTOCONFIG_CGROUP_ROOT}/cpu.max (got "lots 100000")\n`,
        });
    });
});

describe("auto-tuned settings on real PostgreSQL 18.4", () => {
    let cluster: { dataDir: string; superuserPassword: string };
    beforeAll(async () => {
        cluster = await initCluster({ version: 18 });
    });

    it.each(RAM_SIZES.flatMap((ram) => CPU_COUNTS.map((cpus) => [ram, cpus] as const)))(
        "postgres -C accepts %i MB / %i CPUs with exactly those values",
        async (ram, cpus) => {
            const { settings } = await print(container(ram, cpus));
            for (const [name, value] of Object.entries(settings)) {
                const result = await run(path.join(PG_BIN[18], "postgres"), ["-D", cluster.dataDir, "-C", name, ...flags(settings)]);
                expect(result.stderr, `${name}=${value}`).toBe("");
                expect(result.stdout.trim(), name).toBe(inBaseUnits(name, value));
            }
        },
    );

    // One real server per RAM size; the CPU counts rotate so every row of both tables runs.
    it.each(RAM_SIZES.map((ram, i) => [ram, CPU_COUNTS[i % CPU_COUNTS.length]] as const))(
        "a server started with %i MB / %i CPUs shows them, source command line",
        async (ram, cpus) => {
            const { settings } = await print(container(ram, cpus));
            const server = await startPostgres({ version: 18, ...cluster, settings });
            try {
                const rows = await server.query<{ name: string; shown: string; unit: string | null; source: string }>(
                    "SELECT name, current_setting(name) AS shown, unit, source FROM pg_settings WHERE name = ANY($1)",
                    [Object.keys(settings)],
                );
                expect(rows.length).toBe(Object.keys(settings).length);
                for (const row of rows) {
                    expect(row.source, row.name).toBe("command line");
                    const want = settings[row.name];
                    // SHOW prints memory in the largest exact unit (49152MB shows as 48GB): compare in kB.
                    const kb = (text: string) => {
                        const m = /^(\d+)(kB|MB|GB|TB)$/.exec(text);
                        return m ? Number(m[1]) * { kB: 1, MB: 1024, GB: 1024 ** 2, TB: 1024 ** 3 }[m[2] as "kB"] : text;
                    };
                    expect(kb(row.shown), row.name).toEqual(kb(want));
                    if (row.name in UNIT_KB) expect(row.unit, row.name).toBe(UNIT_NAME[UNIT_KB[row.name]]);
                }
            } finally {
                await server.stop();
            }
        },
    );

    it("every profile's settings are accepted too", async () => {
        const profiles: Record<string, string>[] = [
            { POSTGRES_WORKLOAD: "dw", POSTGRES_STORAGE: "hdd" },
            { POSTGRES_WORKLOAD: "oltp", POSTGRES_STORAGE: "ssd" },
            { POSTGRES_WORKLOAD: "web" },
        ];
        for (const env of profiles) {
            const { settings } = await print({ ...container(65536, 64), ...env });
            const result = await run(path.join(PG_BIN[18], "postgres"), ["-D", cluster.dataDir, "-C", "work_mem", ...flags(settings)]);
            expect(result.stderr, JSON.stringify(env)).toBe("");
            expect(result.code).toBe(0);
        }
    });
});

describe("auto-tuned settings on real PostgreSQL 15 (PG_MAJOR=15)", () => {
    it("are all accepted by a 15 server", async () => {
        const cluster = await initCluster({ version: 15 });
        for (const cpus of CPU_COUNTS) {
            const { settings } = await print({ ...container(65536, cpus), PG_MAJOR: "15", POSTGRES_WORKLOAD: "dw", POSTGRES_STORAGE: "ssd" });
            for (const name of Object.keys(settings)) {
                const result = await run(path.join(PG_BIN[15], "postgres"), ["-D", cluster.dataDir, "-C", name, ...flags(settings)]);
                expect(result.stderr, `${name} on 15`).toBe("");
                expect(result.stdout.trim()).toBe(inBaseUnits(name, settings[name]));
            }
        }
    });
});

describe("the entrypoint starting the server", () => {
    it("appends the tuned flags, keeps the command's own -c flags, and the server runs with both", async () => {
        const cluster = await initCluster({ version: 18 });
        const port = await freePort();
        const socketDir = scratchDir("entry-sock");
        const command = [
            "postgres",
            "-D",
            cluster.dataDir,
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            `port=${port}`,
            "-c",
            `unix_socket_directories=${socketDir}`,
            "-c",
            "work_mem=7MB",
            "--max-connections=150",
        ];
        const server = startProcess(ENTRYPOINT, command, {
            env: { ...container(2048, 2), PATH: `${PG_BIN[18]}:${PG_BIN[15]}:${process.env.PATH}`, PG_MAJOR: "18", PGDATA: cluster.dataDir },
            stopSignal: "SIGINT",
        });
        const connect = async () => {
            const client = new Client({ host: "127.0.0.1", port, user: "postgres", password: cluster.superuserPassword, database: "postgres" });
            await client.connect();
            return client;
        };
        const client = await waitFor("PostgreSQL started through the entrypoint", async () => {
            if ((await Promise.race([server.exited, Promise.resolve("running")])) !== "running") throw new Error(server.output());
            return connect();
        });
        // The entrypoint execs the server: same process, its command line is the server's.
        const argv = fs.readFileSync(`/proc/${server.pid}/cmdline`, "utf8").replace(/\0$/, "").split("\0");
        try {
            const { rows } = await client.query<{ name: string; setting: string; source: string }>(
                "SELECT name, current_setting(name) AS setting, source FROM pg_settings WHERE name = ANY($1) ORDER BY name",
                [["work_mem", "max_connections", "shared_buffers", "io_workers"]],
            );
            expect(rows).toEqual([
                { name: "io_workers", setting: "3", source: "command line" },
                { name: "max_connections", setting: "150", source: "command line" },
                { name: "shared_buffers", setting: "512MB", source: "command line" },
                { name: "work_mem", setting: "7MB", source: "command line" },
            ]);
        } finally {
            await client.end();
            await server.stop();
        }
        expect(argv.slice(0, command.length)).toEqual([path.join(PG_BIN[18], "postgres"), ...command.slice(1)]);
        const appended = argv.slice(command.length);
        expect(appended.filter((_, i) => i % 2 === 0).every((flag) => flag === "-c")).toBe(true);
        const tuned = appended.filter((_, i) => i % 2 === 1).map((setting) => setting.split("=")[0]);
        expect(tuned).toEqual(Object.keys(expected(2048, 2)).filter((name) => name !== "work_mem" && name !== "max_connections"));
        expect(tuned.every((name) => (AUTO_TUNED_PARAMETERS as readonly string[]).includes(name))).toBe(true);
        expect(server.output()).toContain("docker-auto-config-entrypoint: 2048 MB from cgroup");
    });

    it("runs any other command unchanged", async () => {
        // No tuning (POSTGRES_MEMORY would be refused), no server: the command itself, with its arguments.
        const result = await run(ENTRYPOINT, ["sh", "-c", 'echo "ran: $0 $1"', "one", "two words"], { env: { POSTGRES_MEMORY: "100" } });
        expect(result).toMatchObject({ code: 0, stdout: "ran: one two words\n", stderr: "" });
    });
});
