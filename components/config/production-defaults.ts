// The settings whose default depends on `production`, in one table. The schema leaves each of
// them unset (so a stack's own value always wins, and the schema cannot know `production`
// while it parses the key); the plans ask this table; README's configuration reference
// states each by the same key, and a unit test holds it to this table.

/** One production-dependent default: the value in production, and everywhere else. */
interface ProductionDependent<T> {
    readonly production: T;
    readonly otherwise: T;
}

/** Deletion protection and HA: on in production only, so dev stacks are cheap and disposable. */
const ON_IN_PRODUCTION: ProductionDependent<boolean> = { production: true, otherwise: false };
/** Days of backups kept: a month in production (a late-found problem can still be undone), a week elsewhere. */
const BACKUP_DAYS: ProductionDependent<number> = { production: 30, otherwise: 7 };

/** Every production-dependent default, by its config key (without the `pg-platform:` namespace). */
export const PRODUCTION_DEFAULTS = {
    "aws.deletionProtection": ON_IN_PRODUCTION,
    "aws.finalSnapshot": ON_IN_PRODUCTION,
    "aws.backupRetentionDays": BACKUP_DAYS,
    "gcp.regional": ON_IN_PRODUCTION,
    "gcp.deletionProtection": ON_IN_PRODUCTION,
    "gcp.backupRetentionDays": BACKUP_DAYS,
    "backup.retention.fullDays": BACKUP_DAYS,
    "backup.encrypted": ON_IN_PRODUCTION,
} as const;

/** A key of {@link PRODUCTION_DEFAULTS}. */
export type ProductionDependentKey = keyof typeof PRODUCTION_DEFAULTS;

/** The value type of a production-dependent key (boolean or number). */
type ValueOf<K extends ProductionDependentKey> = (typeof PRODUCTION_DEFAULTS)[K]["production"];

/** The stack's own value for `key`, else the table's default for a stack with this `production`. */
export function productionDefault<K extends ProductionDependentKey>(key: K, value: ValueOf<K> | undefined, production: boolean): ValueOf<K> {
    const entry: ProductionDependent<ValueOf<K>> = PRODUCTION_DEFAULTS[key];
    return value ?? (production ? entry.production : entry.otherwise);
}
