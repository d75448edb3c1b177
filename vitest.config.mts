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
                },
            },
            {
                test: {
                    name: "e2e",
                    include: ["test/e2e/**/*.test.ts"],
                    testTimeout: 600_000,
                    hookTimeout: 1_800_000,
                },
            },
        ],
    },
});
