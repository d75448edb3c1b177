// The pack ships alone (`pulumi policy publish` uploads policies/ only), so it keeps its own copy
// of the few platform definitions it enforces (policies/platform.ts). This holds the copy equal to
// components/platform, name by name, so neither can change without the other.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as constants from "../../components/platform/constants";
import * as images from "../../components/platform/images";
import * as pack from "../../policies/platform";

const platform: Record<string, unknown> = { ...constants, ...images };

describe("policies/platform.ts is the platform's vocabulary, unchanged", () => {
    const values = Object.entries(pack).filter(([, value]) => typeof value !== "function");

    it.each(values)("%s equals components/platform's", (name, value) => {
        expect(name in platform, `components/platform exports no ${name}`).toBe(true);
        expect(String(value), name).toBe(String(platform[name]));
        expect(value).toEqual(platform[name]);
    });

    it("isDigestPinned is the platform's function, and agrees with it on any reference", () => {
        expect(pack.isDigestPinned.toString()).toBe(images.isDigestPinned.toString());
        const hex = fc.stringMatching(/^[0-9a-f]{60,68}$/);
        const reference = fc.oneof(
            fc.string(),
            fc.tuple(fc.stringMatching(/^[a-z0-9./:-]{0,30}$/), hex).map(([repo, digest]) => `${repo}@sha256:${digest}`),
        );
        fc.assert(fc.property(reference, (ref) => pack.isDigestPinned(ref) === images.isDigestPinned(ref)));
    });
});
