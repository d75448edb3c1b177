import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { PARAMETER_AVAILABILITY, parameterAvailable, postgresqlParameters, CONTAINER_LAYOUT } from "../../../components/render";
import { PG_BIN, run } from "../../../cli/local/processes";
import { testSpec } from "../../../cli/local/stack";

/** Every parameter a real server binary knows. */
async function knownParameters(version: 15 | 18): Promise<Set<string>> {
    const result = await run(path.join(PG_BIN[version], "postgres"), ["--describe-config"]);
    expect(result.code).toBe(0);
    return new Set(
        result.stdout
            .split("\n")
            .filter(Boolean)
            .map((line) => line.split("\t")[0].toLowerCase()),
    );
}

describe.each([15, 18] as const)("the parameter availability table against the real PostgreSQL %i binary", (version) => {
    it("marks exactly the listed parameters as present or absent", async () => {
        const known = await knownParameters(version);
        const wrong = [...PARAMETER_AVAILABILITY.keys()].filter((name) => parameterAvailable(name, version) !== known.has(name));
        expect(wrong).toEqual([]);
    });

    it("renders only core parameters this binary knows (extension settings aside)", async () => {
        const known = await knownParameters(version);
        for (const role of ["single", "primary", "replica"] as const) {
            const names = postgresqlParameters(testSpec(version), role, CONTAINER_LAYOUT)
                .map((p) => p.name)
                .filter((name) => !name.includes("."));
            expect(
                names.filter((name) => !known.has(name)),
                role,
            ).toEqual([]);
        }
    });
});
