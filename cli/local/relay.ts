import { freePort, startProcess, waitForPort, type ManagedProcess } from "./processes";

/**
 * The relay's program: every accepted connection piped both ways to 127.0.0.1:<target>, with
 * Nagle off on both sides as PgBouncer sets it, and nothing else (no parsing, no pooling).
 */
const RELAY_PROGRAM = `
const net = require("node:net");
const [listenPort, targetPort] = process.argv.slice(1).map(Number);
net.createServer((client) => {
    client.setNoDelay(true);
    const server = net.connect(targetPort, "127.0.0.1");
    server.setNoDelay(true);
    client.pipe(server).pipe(client);
    const close = () => { client.destroy(); server.destroy(); };
    client.on("error", close);
    server.on("error", close);
    client.on("close", close);
    server.on("close", close);
}).listen(listenPort, "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
`;

/**
 * A bare TCP relay in front of 127.0.0.1:`targetPort`, in a process of its own (one thread, as
 * PgBouncer): the cost of one extra hop and nothing more, the floor a pool's persistent-
 * connection figures are measured against.
 */
export async function startTcpRelay(targetPort: number): Promise<{ port: number; process: ManagedProcess }> {
    const port = await freePort();
    const proc = startProcess(process.execPath, ["-e", RELAY_PROGRAM, String(port), String(targetPort)], { unprivileged: false });
    await waitForPort(port, 10_000);
    return { port, process: proc };
}
