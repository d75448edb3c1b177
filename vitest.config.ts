import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        projects: [
            {
                test: {
                    name: "unit",
                    include: ["test/unit/**/*.test.ts", "test/policies/**/*.test.ts"],
                    testTimeout: 30_000,
                },
            },
            {
                test: {
                    name: "integration",
                    include: ["test/integration/**/*.test.ts"],
                    testTimeout: 180_000,
                    hookTimeout: 180_000,
                    // Real servers on a 2-core machine: one file at a time keeps ports and CPU calm.
                    fileParallelism: false,
                },
            },
        ],
    },
});
