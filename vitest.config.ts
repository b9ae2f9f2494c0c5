import { defineConfig } from "vitest/config";
import { PROCESS_TEST_SUFFIX, PROCESS_TESTS, SLOW_PURE_TESTS, UNIT_EXCLUDE } from "./test/projects.js";

// A test that asserts nothing passes whatever the code does: every test must call expect() at least once.
const expect = { requireAssertions: true };

export default defineConfig({
  test: {
    // vitest's default is one worker per core but one: a single worker on this 2-core machine, though the
    // integration tests mostly wait for the processes they start.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/**/*.test.ts"],
          exclude: UNIT_EXCLUDE,
          setupFiles: ["test/setup/unit.ts"],
          isolate: false,
          expect,
        },
      },
      {
        test: {
          name: "integration",
          include: [
            "test/integration/**/*.test.ts",
            `test/**/*${PROCESS_TEST_SUFFIX}`,
            ...PROCESS_TESTS,
            ...SLOW_PURE_TESTS,
          ],
          exclude: ["test/system/**"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          expect,
        },
      },
      {
        test: {
          name: "system",
          include: ["test/system/**/*.test.ts"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          expect,
        },
      },
    ],
  },
});
