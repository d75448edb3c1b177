import { describe, expect, it } from "vitest";
import { parseHba, parseIni, parsePostgresConf } from "../../policies/rules/rendered";

describe("parsePostgresConf", () => {
    it("reads name = value and name value, unquotes, strips comments, lets the last setting win", () => {
        const conf = [
            "# comment",
            "Password_Encryption = 'md5'",
            "shared_preload_libraries = 'pg_stat_statements,auto_explain'   # preloads",
            "log_line_prefix '%m [%p] it''s # not a comment'",
            "include 'other.conf'",
            "password_encryption = scram-sha-256",
        ].join("\n");
        expect(Object.fromEntries(parsePostgresConf(conf))).toEqual({
            password_encryption: "scram-sha-256",
            shared_preload_libraries: "pg_stat_statements,auto_explain",
            log_line_prefix: "%m [%p] it's # not a comment",
        });
    });
});

describe("parseIni", () => {
    it("reads sections, whole-line comments only, and keeps # inside values", () => {
        const ini = "; top\n[databases]\napp = host=primary dbname=app#1\n\n[PgBouncer]\n# comment\nauth_type = scram-sha-256\n%include /etc/extra.ini\n";
        const parsed = parseIni(ini);
        expect(parsed.get("databases")?.get("app")).toBe("host=primary dbname=app#1");
        expect(Object.fromEntries(parsed.get("pgbouncer") ?? [])).toEqual({ auth_type: "scram-sha-256" });
    });
});

describe("parseHba", () => {
    it("finds the method after an address, an address + netmask, or none (local); joins continuations; skips includes", () => {
        const hba = [
            "local   all  all                 peer",
            'host    "my db",app  all  10.0.0.0/8  scram-sha-256  # comment',
            "host    all  all  192.168.1.1  255.255.255.255  md5",
            "hostssl all  all  db.example.com scram-sha-256 clientcert=verify-full",
            "host    all  all \\",
            "        samenet reject",
            "include_if_exists extra.conf",
        ].join("\n");
        expect(parseHba(hba).map(({ line, type, address, method }) => ({ line, type, address, method }))).toEqual([
            { line: 1, type: "local", address: undefined, method: "peer" },
            { line: 2, type: "host", address: "10.0.0.0/8", method: "scram-sha-256" },
            { line: 3, type: "host", address: "192.168.1.1", method: "md5" },
            { line: 4, type: "hostssl", address: "db.example.com", method: "scram-sha-256" },
            { line: 5, type: "host", address: "samenet", method: "reject" },
        ]);
        expect(parseHba(hba)[1].database).toBe('"my db",app');
    });
});
