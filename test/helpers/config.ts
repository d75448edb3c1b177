import { ConfigError } from "../../components/config";

/**
 * The problems a configuration step refuses with (`parseSpec`, a target's plan): [] when it
 * accepts; anything but a ConfigError is a bug and is thrown on.
 */
export function refusals(step: () => unknown): readonly string[] {
    try {
        step();
        return [];
    } catch (error) {
        if (error instanceof ConfigError) return error.problems;
        throw error;
    }
}
