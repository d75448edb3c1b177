/** An error that is a list of problems, one line each, as the CLI prints them. */
export class ProblemsError extends Error {
    /** One line per problem. */
    readonly problems: readonly string[];

    constructor(problems: readonly string[]) {
        super(problems.join("\n"));
        this.name = new.target.name;
        this.problems = problems;
    }
}
