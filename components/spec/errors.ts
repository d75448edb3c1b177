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
}
