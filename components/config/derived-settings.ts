/**
 * Server settings the platform computes from other keys, checked against the same catalogue
 * as `postgres.parameters`, so a key that passes its own schema can never render a value the
 * server refuses or silently replaces (a `log_min_duration_statement` past int32, a slot
 * limit of 99999999TB).
 */
import type { ExtensionName, PostgresVersion } from "../platform/constants";
import { parseSettingValue } from "../platform/setting-values";
import { parseMemoryMb } from "./memory";
import { settingDescriptor } from "./parameters";

/** auto_explain logs plans of statements this many times slower than the slow-query threshold. */
export const EXPLAIN_FACTOR = 4;

/** What the derived settings are computed from. */
export interface DerivedInputs {
    readonly postgres: {
        readonly version: PostgresVersion;
        readonly extensions: readonly ExtensionName[];
        readonly maxSlotWalKeepSize: string;
        readonly slowQueryMs: number;
    };
}

/** [config path, message] for each derived setting the server would refuse. */
export function derivedSettingProblems(spec: DerivedInputs): [(string | number)[], string][] {
    const { version, extensions, maxSlotWalKeepSize, slowQueryMs } = spec.postgres;
    const problems: [(string | number)[], string][] = [];
    const check = (path: (string | number)[], setting: string, value: string, what = "") => {
        const descriptor = settingDescriptor(setting, version);
        if (!descriptor) return;
        const parsed = parseSettingValue(value, descriptor);
        if (!parsed.ok) problems.push([path, `becomes ${setting} = ${value}${what}, which PostgreSQL ${version} refuses: ${parsed.reason}`]);
    };
    const slotMb = parseMemoryMb(maxSlotWalKeepSize);
    if (slotMb !== undefined) check(["postgres", "maxSlotWalKeepSize"], "max_slot_wal_keep_size", `${slotMb}MB`);
    check(["postgres", "slowQueryMs"], "log_min_duration_statement", String(slowQueryMs));
    if (extensions.includes("auto_explain") && slowQueryMs >= 0) {
        check(["postgres", "slowQueryMs"], "auto_explain.log_min_duration", String(slowQueryMs * EXPLAIN_FACTOR), ` (${EXPLAIN_FACTOR} × slowQueryMs)`);
    }
    return problems;
}
