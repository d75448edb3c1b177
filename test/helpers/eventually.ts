/**
 * Polls `check` until it returns a value (not undefined) or `timeoutMs` passes; a throw counts
 * as "not yet" and the last one is named in the timeout's error, so a test waiting on a real
 * server says what it was still failing on.
 */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000, intervalMs = 1000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
        try {
            const value = await check();
            if (value !== undefined) return value;
        } catch (error) {
            last = error;
        }
        if (Date.now() > deadline) throw new Error(`${what}: not after ${timeoutMs} ms${last ? ` (last error: ${String(last)})` : ""}`);
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
}
