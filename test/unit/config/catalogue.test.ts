// The committed parameter catalogues (components/config/catalogue/pg<major>.json, dumps of real
// servers' pg_settings by `npm run catalogue`) agree with each other and with the availability
// table the config layer reads first for majors without a dump of their own.
import { describe, expect, it } from "vitest";
import { CATALOGUES, EXTENSION_PREFIXES, catalogueFor } from "../../../components/config/parameters";
import { PARAMETER_AVAILABILITY, parameterAvailable } from "../../../components/config/parameter-versions";
import { POSTGRES_VERSIONS } from "../../../components/platform/constants";

describe("the committed parameter catalogues", () => {
    it.each([...CATALOGUES.entries()])("pg%i.json is a dump of that major, with the platform's settings", (major, catalogue) => {
        expect(catalogue.major).toBe(major);
        expect(catalogue.serverVersion.startsWith(`${major}.`)).toBe(true);
        expect(Object.keys(catalogue.parameters).length).toBeGreaterThan(350);
        for (const name of ["shared_buffers", "max_slot_wal_keep_size", "ssl_min_protocol_version", "password_encryption"])
            expect(catalogue.parameters[name]).toBeDefined();
        expect(catalogue.parameters.max_slot_wal_keep_size).toMatchObject({ type: "integer", unit: "MB", min: -1, max: 2147483647 });
        expect(catalogue.parameters.block_size.file).toBe(false);
    });

    it.each([...CATALOGUES.keys()])("pg%i.json agrees with the availability table, name by name", (major) => {
        const names = new Set(Object.keys(CATALOGUES.get(major)?.parameters ?? {}));
        for (const name of PARAMETER_AVAILABILITY.keys()) {
            expect(names.has(name), `${name} on ${major}`).toBe(parameterAvailable(name, major as (typeof POSTGRES_VERSIONS)[number]));
        }
    });

    it("every supported major is checked against some catalogue, every platform extension's settings included where any server had it", () => {
        for (const version of POSTGRES_VERSIONS) {
            const { parameters } = catalogueFor(version);
            expect(parameters.size).toBeGreaterThan(350);
            for (const [extension, { prefixes }] of Object.entries(EXTENSION_PREFIXES)) {
                expect(
                    [...parameters.keys()].some((name) => prefixes.some((p) => name.startsWith(p))),
                    `${extension} on ${version}`,
                ).toBe(true);
            }
        }
    });
});
