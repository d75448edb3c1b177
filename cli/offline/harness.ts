import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { mockCall, mockState } from "./mock-state";
import { secretPaths, unwrapSecrets } from "./secrets";

/** One resource the program registered, as the mock monitor saw it. */
export interface MockedResource {
    /** Its URN (the mock's, built like the engine's from parent type, type and name). */
    readonly urn: string;
    /** Type token, e.g. `docker:index/container:Container`. */
    readonly type: string;
    /** Logical name. */
    readonly name: string;
    /** URN of its parent, or undefined when it sits at the stack's root. */
    readonly parent: string | undefined;
    /** True for provider-managed resources, false for components. */
    readonly custom: boolean;
    /** Inputs with secrets unwrapped to their plain values. */
    readonly inputs: Record<string, unknown>;
    /** Inputs exactly as sent, secret markers included (for redaction). */
    readonly rawInputs: Record<string, unknown>;
    /** Property paths among the inputs that were sent as secrets. */
    readonly secretInputs: readonly string[];
    /** URNs it waits for: explicit `dependsOn` and resources its inputs came from. */
    readonly dependencies: readonly string[];
    /** The explicit provider reference (`<provider urn>::<id>`), or undefined for the default provider. */
    readonly provider: string | undefined;
    /** For each input property, the URNs of the resources its value came from. */
    readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
}

/** What running a program under mocks produced. */
export interface ProgramRun<T> {
    /** Every registered resource, in registration order. */
    readonly resources: readonly MockedResource[];
    /** URNs registered more than once (the real engine refuses these). */
    readonly duplicateUrns: readonly string[];
    /** The program's return value, with every Output inside resolved. */
    readonly outputs: T;
}

/** Where and how to run. */
export interface MockRunOptions {
    /** Project name. Default: `pg-platform`. */
    readonly project?: string;
    /** Stack name. Default: `test`. */
    readonly stack?: string;
    /** Full config map (`pg-platform:target` → raw string), as the CLI would pass it. Default: empty. */
    readonly config?: Record<string, string>;
    /** Config keys that hold secrets. Default: none. */
    readonly secretKeys?: readonly string[];
    /**
     * Run as `pulumi preview` does on a first deployment: every resource is new, so the mocked
     * engine returns its inputs and leaves each computed output (ids, ARNs, addresses, image
     * digests, random values, names made from a `namePrefix`) unknown; inputs built from those
     * arrive as the wire's unknown marker, as a policy pack sees them in a preview. Default: false.
     */
    readonly preview?: boolean;
    /**
     * What a provider computes for a new resource, in place of the built-in fakes when it returns
     * something (a test that deploys for real gives real keys and certificates here, or what the
     * real engine reports of a container). Default: none.
     */
    readonly computed?: (
        type: string,
        name: string,
        inputs: Record<string, unknown>,
    ) => Record<string, unknown> | undefined | Promise<Record<string, unknown> | undefined>;
}

interface MonitorRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getDependenciesList(): string[];
    getProvider(): string;
    getPropertydependenciesMap(): { forEach(callback: (value: { getUrnsList(): string[] }, key: string) => void): void };
    getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}
interface MonitorResponse {
    getUrn(): string;
}
type Callback = (err: Error | null, response?: MonitorResponse) => void;
interface PatchableMonitor {
    registerResource(req: MonitorRequest, callback: Callback): Promise<void>;
}

// waitForRPCs is exported by the runtime but marked internal in its typings.
const runtimeSettings = settings as unknown as { waitForRPCs(): Promise<void> };

// OutputImpl.promise(withUnknowns) is what the runtime itself uses; it is marked internal.
type OutputWithPromise = { promise(withUnknowns: boolean): Promise<unknown> };

/**
 * Resolves every Output nested in a value; rejects when one of them failed (an apply threw).
 * With `withUnknowns`, unknown values stay the runtime's unknown marker (a preview's outputs);
 * without, a value holding one resolves to undefined.
 */
export function resolve<T>(value: T, withUnknowns = false): Promise<pulumi.Unwrap<T>> {
    return (pulumi.output(value) as unknown as OutputWithPromise).promise(withUnknowns) as Promise<pulumi.Unwrap<T>>;
}

/**
 * Runs `work` as Pulumi's language host runs a program: an apply that throws rejects every
 * Output derived from it, most of which nobody awaits, and the host turns those unhandled
 * rejections into the program's failure (`pulumi up` fails with the error). Here the first of
 * them rejects the result instead of reaching the process's own handlers (a test runner's).
 */
async function asProgram<T>(work: () => Promise<T>): Promise<T> {
    const others = process.listeners("unhandledRejection");
    let failure: { reason: unknown } | undefined;
    const onRejection = (reason: unknown) => (failure ??= { reason });
    process.removeAllListeners("unhandledRejection");
    process.on("unhandledRejection", onRejection);
    try {
        const result = await work();
        if (failure) throw failure.reason;
        return result;
    } finally {
        // Node reports unhandled rejections once the microtask queue has drained.
        await new Promise((done) => setImmediate(done));
        process.off("unhandledRejection", onRejection);
        for (const listener of others) process.on("unhandledRejection", listener);
    }
}

/** Whether an Output is marked secret. */
export function isSecretOutput(value: pulumi.Input<unknown>): Promise<boolean> {
    return pulumi.isSecret(pulumi.output(value));
}

/**
 * Runs a program (the whole stack, or one component) in-process under
 * `pulumi.runtime.setMocks` (as an update, or as a first preview with `options.preview`), and
 * returns every resource it registered with its parent and inputs. Rejects as `pulumi up` fails
 * when the program throws or one of its outputs does. Used by every unit test and by
 * `npm run check`.
 */
export async function runUnderMocks<T>(program: () => T | Promise<T>, options: MockRunOptions = {}): Promise<ProgramRun<pulumi.Unwrap<T>>> {
    const resources: MockedResource[] = [];
    const seen = new Set<string>();
    const duplicates: string[] = [];

    pulumi.runtime.setAllConfig(options.config ?? {}, [...(options.secretKeys ?? [])]);
    const preview = options.preview ?? false;
    await pulumi.runtime.setMocks(
        {
            // In a preview the engine echoes the inputs and knows nothing the provider computes.
            newResource: async (args) =>
                preview
                    ? { id: undefined, state: args.inputs }
                    : {
                          id: `${args.name}-id`,
                          state: {
                              ...args.inputs,
                              ...((await options.computed?.(args.type, args.name, args.inputs)) ?? mockState(args.type, args.name, args.inputs)),
                          },
                      },
            call: (args) => mockCall(args.token, args.inputs),
        },
        options.project ?? "pg-platform",
        options.stack ?? "test",
        preview,
    );

    const monitor = pulumi.runtime.getMonitor() as unknown as PatchableMonitor;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) =>
        register(req, (err, response) => {
            if (!err && response) {
                const urn = response.getUrn();
                if (seen.has(urn)) duplicates.push(urn);
                seen.add(urn);
                const rawInputs = req.getObject()?.toJavaScript() ?? {};
                resources.push({
                    urn,
                    type: req.getType(),
                    name: req.getName(),
                    parent: req.getParent() || undefined,
                    custom: req.getCustom(),
                    inputs: unwrapSecrets(rawInputs) as Record<string, unknown>,
                    rawInputs,
                    secretInputs: secretPaths(rawInputs),
                    dependencies: req.getDependenciesList(),
                    provider: req.getProvider() || undefined,
                    propertyDependencies: propertyDependencies(req),
                });
            }
            callback(err, response);
        });

    try {
        // An apply never runs on an unknown value, so a preview's outputs are read with their unknowns.
        const outputs = await asProgram(async () => resolve(await program(), preview));
        return { resources, duplicateUrns: duplicates, outputs };
    } finally {
        await runtimeSettings.waitForRPCs();
    }
}

function propertyDependencies(req: MonitorRequest): Record<string, string[]> {
    const found: Record<string, string[]> = {};
    req.getPropertydependenciesMap().forEach((value, key) => {
        const urns = value.getUrnsList();
        if (urns.length > 0) found[key] = urns;
    });
    return found;
}

/** The resources of one type, e.g. `docker:index/container:Container`. */
export function ofType(resources: readonly MockedResource[], type: string): MockedResource[] {
    return resources.filter((resource) => resource.type === type);
}

/** The one resource with this type and name; throws when it is missing. */
export function named(resources: readonly MockedResource[], type: string, name: string): MockedResource {
    const found = resources.find((resource) => resource.type === type && resource.name === name);
    if (!found) throw new Error(`no ${type} named ${name} among ${resources.map((r) => r.name).join(", ")}`);
    return found;
}
