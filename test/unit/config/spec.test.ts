import { describe, expect, it } from "vitest";
import { ConfigError, memoryMb, parseSpec, refusals } from "../../../components/config";
import { KNOWN_EXTENSIONS, extensionSqlName } from "../../../components/platform/constants";
import { FIXED_PARAMETERS } from "../../../components/config/fixed-parameters";

/** The problems parseSpec reports for a config, or [] when it is accepted. */
const problems = (raw: Record<string, unknown>) => refusals(() => parseSpec(raw));

describe("parseSpec defaults", () => {
    it("turns an empty config into a safe single node on Docker", () => {
        const spec = parseSpec({});
        expect(spec.target).toBe("docker");
        expect(spec.topology).toBe("single");
        expect(spec.replicas).toBe(0);
        expect(spec.network.bindAddress).toBe("127.0.0.1");
        expect(spec.network.ports).toEqual({ postgres: 5432, transactionPool: 6432, sessionPool: 6433, exporter: 9187, replicaBase: 5442 });
        expect(spec.postgres.version).toBe(18);
        expect(spec.postgres.slowQueryMs).toBe(250);
        expect(spec.postgres.databases).toEqual([{ name: "app", extensions: [] }]);
        expect(spec.postgres.extensions).toEqual(["pg_stat_statements", "auto_explain", "pg_cron", "pgaudit"]);
        expect(spec.pooler.transaction).toEqual({ defaultPoolSize: 20, maxClientConn: 1000, reservePoolSize: 5 });
        expect(spec.pooler.session).toEqual({ defaultPoolSize: 10, maxClientConn: 200, reservePoolSize: 5 });
        expect(spec.image.extensions).toEqual([]);
        expect(memoryMb(spec)).toBe(1024);
    });

    it("keeps nested defaults when only part of an object is given", () => {
        const spec = parseSpec({ network: { ports: { postgres: 5433 } }, pooler: { session: { defaultPoolSize: 3 } } });
        expect(spec.network.bindAddress).toBe("127.0.0.1");
        expect(spec.network.ports.postgres).toBe(5433);
        expect(spec.network.ports.transactionPool).toBe(6432);
        expect(spec.pooler.session).toEqual({ defaultPoolSize: 3, maxClientConn: 200, reservePoolSize: 5 });
    });

    it.each([
        ["512MB", 512],
        ["2GiB", 2048],
        ["1.5G", 1536],
        ["64gb", 65536],
    ])("reads memory %s as %i MB", (memory, mb) => {
        expect(memoryMb(parseSpec({ postgres: { memory } }))).toBe(mb);
    });

    it("accepts a full primary with replicas and distinct ports", () => {
        const spec = parseSpec({ topology: "primary", replicas: 2, postgres: { parameters: { work_mem: "8MB", jit: false, max_wal_size: 2048 } } });
        expect(spec.replicas).toBe(2);
        expect(spec.postgres.parameters).toEqual({ work_mem: "8MB", jit: false, max_wal_size: 2048 });
    });
});

describe("parseSpec rejects bad input, naming the key, the value and what is allowed", () => {
    it.each<[string, Record<string, unknown>, RegExp]>([
        ["an unknown top-level key", { replica: 1 }, /pg-platform:replica: unknown key/],
        ["an unknown nested key", { postgres: { verison: 17 } }, /pg-platform:postgres\.verison: unknown key/],
        ["a wrong type", { replicas: "two" }, /pg-platform:replicas: .*number.*\(got "two"\)/],
        ["an unknown target", { target: "azure" }, /pg-platform:target: .*"docker".*"kubernetes".*"aws".*"gcp".*\(got "azure"\)/],
        ["replicas without a primary", { replicas: 1 }, /pg-platform:replicas: replicas need topology "primary" \(topology is "single"\)/],
        ["a port out of range", { network: { ports: { postgres: 70000 } } }, /pg-platform:network\.ports\.postgres: .*65535.*\(got 70000\)/],
        [
            "a reused port",
            { topology: "primary", network: { ports: { exporter: 6432 } } },
            /pg-platform:network\.ports\.exporter: port 6432 is already used by network\.ports\.transactionPool/,
        ],
        [
            "a replica port colliding with a pool",
            { topology: "primary", replicas: 2, network: { ports: { replicaBase: 6431 } } },
            /port 6432 is already used by network\.ports\.transactionPool/,
        ],
        ["a bind address that is not an IP", { network: { bindAddress: "localhost" } }, /pg-platform:network\.bindAddress: must be an IPv4 or IPv6 address/],
        [
            "a database name that is not an identifier",
            { postgres: { databases: [{ name: "My-DB" }] } },
            /pg-platform:postgres\.databases\.0\.name: must be a lower-case identifier.*\(got "My-DB"\)/,
        ],
        [
            "a reserved role name",
            { postgres: { roles: [{ name: "pg_admin", database: "app", access: "readonly" }] } },
            /pg-platform:postgres\.roles\.0\.name: names starting with pg_ are reserved/,
        ],
        [
            "a role for a database that does not exist",
            { postgres: { roles: [{ name: "report", database: "sales", access: "readonly" }] } },
            /pg-platform:postgres\.roles\.0\.database: "sales" is not one of postgres\.databases/,
        ],
        [
            "a role clashing with a platform role",
            { postgres: { roles: [{ name: "app_app", database: "app", access: "readonly" }] } },
            /"app_app" is already a platform or per-database role/,
        ],
        [
            "a memory size that cannot be parsed",
            { postgres: { memory: "lots" } },
            /pg-platform:postgres\.memory: must be a memory size such as "512MB".*\(got "lots"\)/,
        ],
        ["less memory than the auto-tuning accepts", { postgres: { memory: "256MB" } }, /pg-platform:postgres\.memory: must be at least 512MB/],
        ["an unsupported PostgreSQL version", { postgres: { version: 14 } }, /pg-platform:postgres\.version: must be one of 15, 16, 17, 18 \(got 14\)/],
        ["a target whose own settings are missing", { target: "aws" }, /pg-platform:aws: target "aws" needs its own settings under pg-platform:aws/],
        [
            "an extension used by a database but not enabled",
            { postgres: { databases: [{ name: "app", extensions: ["pg_trgm"] }] } },
            /"pg_trgm" must also be in postgres\.extensions/,
        ],
        [
            "pgvector enabled without building it into the image",
            { postgres: { extensions: ["pgvector"] } },
            /pg-platform:image\.extensions: pgvector is in postgres\.extensions/,
        ],
        [
            "a multi-line parameter value",
            { postgres: { parameters: { application_name: "a\nb" } } },
            /pg-platform:postgres\.parameters\.application_name: .*single line/,
        ],
    ])("%s", (_case, raw, message) => {
        const found = problems(raw);
        expect(
            found.some((line) => message.test(line)),
            `problems were:\n${found.join("\n")}`,
        ).toBe(true);
    });

    it("reports every problem at once, not just the first", () => {
        expect(problems({ replicas: 1, postgres: { memory: "lots", parameters: { listen_addresses: "*" } } })).toHaveLength(3);
    });
});

describe("fixed parameters", () => {
    it("refuses password_encryption = md5 and says why", () => {
        expect(problems({ postgres: { parameters: { password_encryption: "md5" } } })).toEqual([
            'pg-platform:postgres.parameters.password_encryption: is fixed by the platform: always scram-sha-256: the platform is SCRAM-only (got "md5")',
        ]);
    });

    it.each(Object.keys(FIXED_PARAMETERS))("refuses %s in postgres.parameters", (name) => {
        const found = problems({ postgres: { parameters: { [name]: "x" } } });
        expect(found).toHaveLength(1);
        expect(found[0]).toContain(`pg-platform:postgres.parameters.${name}: is fixed by the platform: ${FIXED_PARAMETERS[name]}`);
    });

    it("matches fixed parameters case-insensitively, as PostgreSQL does", () => {
        expect(problems({ postgres: { parameters: { Password_Encryption: "md5" } } })).not.toEqual([]);
    });
});

describe("ConfigError.gather", () => {
    it("reports the problems of every check together and lets other errors through", () => {
        const fail = (problem: string) => () => {
            throw new ConfigError([problem]);
        };
        expect(() => ConfigError.gather(fail("a"), () => undefined, fail("b"))).toThrow(expect.objectContaining({ problems: ["a", "b"] }));
        expect(() => ConfigError.gather(() => undefined)).not.toThrow();
        expect(() =>
            ConfigError.gather(() => {
                throw new TypeError("bug");
            }),
        ).toThrow(TypeError);
    });
});

describe("extensionSqlName", () => {
    it("gives CREATE EXTENSION's name, pgvector's being vector, and none for preload-only modules", () => {
        expect(KNOWN_EXTENSIONS.map((name) => [name, extensionSqlName(name)])).toEqual([
            ["pg_cron", "pg_cron"],
            ["pgaudit", "pgaudit"],
            ["pg_stat_statements", "pg_stat_statements"],
            ["auto_explain", undefined],
            ["pg_trgm", "pg_trgm"],
            ["pgvector", "vector"],
        ]);
    });
});

describe("aws.allowedCidrs", () => {
    const aws = { vpcId: "vpc-0a1b2c3d", subnetIds: ["subnet-0a1b2c3d", "subnet-1a1b2c3d"] };
    it.each(["0.0.0.0/0", "::/0"])("refuses %s, which would open the port to everything that can route to the VPC", (block) => {
        expect(problems({ target: "aws", aws: { ...aws, allowedCidrs: [block] } })).toEqual([
            `pg-platform:aws.allowedCidrs.0: admits every address (/0); list the client ranges that need the database, e.g. your VPC's private CIDR (got "${block}")`,
        ]);
    });

    it("accepts a private range", () => {
        expect(problems({ target: "aws", aws: { ...aws, allowedCidrs: ["10.0.0.0/16"] } })).toEqual([]);
    });

    it.each([
        [["0.0.0.0/1", "128.0.0.0/1"], 4],
        [["::/1", "8000::/1"], 6],
        [["::ffff:0.0.0.0/97", "::ffff:128.0.0.0/97"], 4],
    ])("judges the union: %j together admit every public IPv%d address", (blocks, family) => {
        expect(problems({ target: "aws", aws: { ...aws, allowedCidrs: blocks } })).toEqual([
            expect.stringMatching(new RegExp(`^pg-platform:aws\\.allowedCidrs: together admit every public IPv${family} address`)),
        ]);
    });
});
