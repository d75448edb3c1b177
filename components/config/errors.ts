/**
 * A stack configuration the platform refuses, raised before any resource is created.
 * `problems` holds one line per bad key: `pg-platform:<path>: <what is wrong> (got <value>)`.
 */
export class ConfigError extends Error {
    /** One human-readable line per problem. */
    readonly problems: readonly string[];

    constructor(problems: readonly string[]) {
        super(`invalid stack configuration:\n  - ${problems.join("\n  - ")}`);
        this.name = "ConfigError";
        this.problems = problems;
    }

    /**
     * Runs every check and throws one ConfigError with all their problems, so a user fixes a
     * stack in one pass rather than one error per run. Other errors pass through.
     */
    static gather(...checks: readonly (() => unknown)[]): void {
        const problems = checks.flatMap(refusals);
        if (problems.length > 0) throw new ConfigError(problems);
    }
}

/** The problems `check` refuses with: [] when it passes; any error but a ConfigError passes through. */
export function refusals(check: () => unknown): readonly string[] {
    try {
        check();
        return [];
    } catch (error) {
        if (error instanceof ConfigError) return error.problems;
        throw error;
    }
}
