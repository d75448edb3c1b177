import * as fs from "node:fs";
import * as path from "node:path";
import type { TlsPaths } from "../../components/render";
import { giveToServiceUser, run, scratchDir, writeServiceFile } from "./processes";

/** A CA and a server certificate it signed, as PEM files. */
export interface LocalCertificates {
    /** The CA certificate. */
    readonly ca: string;
    /** The server certificate (names `localhost` and 127.0.0.1). */
    readonly cert: string;
    /** Its private key. */
    readonly key: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
    const result = await run("openssl", args, { unprivileged: false, cwd });
    if (result.code !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`);
}

/**
 * A throwaway CA (ECDSA P-256, as the targets make theirs) and a server certificate it signed for
 * `localhost` and 127.0.0.1, so PostgreSQL and PgBouncer on this host verify each other with
 * `verify-full` as they do on a target.
 */
export async function localCertificates(): Promise<LocalCertificates> {
    const dir = scratchDir("local-ca");
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    await openssl(
        [
            "req",
            "-x509",
            ...ec,
            "-days",
            "1",
            "-subj",
            "/O=pg-platform/CN=local-ca",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
        dir,
    );
    fs.writeFileSync(
        path.join(dir, "server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
    );
    await openssl(["req", "-new", ...ec, "-subj", "/O=pg-platform/CN=localhost", "-keyout", "server.key", "-out", "server.csr"], dir);
    await openssl(
        [
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            "server.ext",
            "-out",
            "server.crt",
        ],
        dir,
    );
    return { ca: path.join(dir, "ca.crt"), cert: path.join(dir, "server.crt"), key: path.join(dir, "server.key") };
}

/** Installs the certificates at a server's or pool's rendered TLS paths, owned by the service user (key 0600). */
export function installCertificates(certificates: LocalCertificates, files: TlsPaths): void {
    fs.mkdirSync(path.dirname(files.cert), { recursive: true, mode: 0o700 });
    giveToServiceUser(path.dirname(files.cert));
    writeServiceFile(files.cert, fs.readFileSync(certificates.cert, "utf8"), 0o644);
    writeServiceFile(files.ca, fs.readFileSync(certificates.ca, "utf8"), 0o644);
    writeServiceFile(files.key, fs.readFileSync(certificates.key, "utf8"), 0o600);
}
