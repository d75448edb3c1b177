import { UnknownValueError } from "@pulumi/policy";

/**
 * What a rule reads in a preview. @pulumi/policy hands rules their props behind a proxy that
 * throws {@link UnknownValueError} on reading an input the engine has not resolved yet (an image
 * digest, a random password, a name made from a `namePrefix`); left uncaught, the analyzer turns
 * that into an advisory "can't run … during preview" finding, whatever the rule's level, so a
 * mandatory rule would silently pass the preview. Rules read such inputs through these helpers
 * and decide on {@link UNKNOWN} themselves: from what is known, or by failing closed.
 */

/** An input the engine has not resolved yet (only ever seen in a preview). */
export const UNKNOWN: unique symbol = Symbol("unknown until the update");

/** A value as read in a preview: itself, or {@link UNKNOWN}. */
export type Maybe<T> = T | typeof UNKNOWN;

function isUnknownError(error: unknown): boolean {
    // instanceof, and the name for a second copy of @pulumi/policy in the same process.
    return error instanceof UnknownValueError || (error instanceof Error && error.constructor.name === "UnknownValueError");
}

/** `read()`, or {@link UNKNOWN} when it touches an input the engine has not resolved. */
export function known<T>(read: () => T): Maybe<T> {
    try {
        return read();
    } catch (error) {
        if (isUnknownError(error)) return UNKNOWN;
        throw error;
    }
}

/** Whether reading `read()` meets an unresolved input. */
export function isUnknown(read: () => unknown): boolean {
    return known(read) === UNKNOWN;
}

/**
 * The items of a list, each read on its own (one unresolved item does not hide the others), or
 * {@link UNKNOWN} when the list itself is unresolved. Absent lists are empty.
 */
export function knownItems<T>(read: () => readonly T[] | undefined): Maybe<Maybe<T>[]> {
    const list = known(read);
    if (list === UNKNOWN) return UNKNOWN;
    if (list === undefined || list === null) return [];
    return Array.from({ length: list.length }, (_, i) => known(() => list[i]));
}

/**
 * Whether an optional input is given: an unresolved one is (the engine resolves it to the value
 * of the resource it was taken from, such as a name made from a `namePrefix`).
 */
export function isSet(read: () => unknown): boolean {
    const value = known(read);
    return value === UNKNOWN || Boolean(value);
}

/** The keys of a map (keys are always known once the map is), or {@link UNKNOWN} for an unresolved map. */
export function knownKeys(read: () => Readonly<Record<string, unknown>> | undefined): Maybe<string[]> {
    const map = known(read);
    if (map === UNKNOWN) return UNKNOWN;
    return map === undefined || map === null ? [] : Object.keys(map);
}

/** Why a rule fails closed on an input: the wording every such finding shares. */
export function notKnownYet(what: string): string {
    return `${what} is not known until the update (it is computed while deploying), so the gate cannot check it in a preview`;
}
