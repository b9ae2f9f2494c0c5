/**
 * Which test files run in which vitest project. The unit project is pure and fast: no child processes,
 * no dist/, no real waits. A test that starts a program (a shell, node on the built code, an sshd) runs
 * with the integration project: name it `*.process.test.ts`, or list it here when it is older than that.
 */
export const PROCESS_TEST_SUFFIX = ".process.test.ts";

/** Tests outside test/integration/ that start programs (kept in place: other work edits them). */
export const PROCESS_TESTS = [
  "test/cli/code-cache.test.ts",
  "test/transport/batch.test.ts",
  "test/transport/files.test.ts",
  "test/transport/local.test.ts",
] as const;

/**
 * Pure but slow: every lab scenario planned twice through the whole lab. It runs beside the
 * integration tests so the unit project stays a quick loop (about 10 s of the unit project's 37 s).
 */
export const SLOW_PURE_TESTS = ["test/engine/saved-plan-repeatable.test.ts"] as const;

export const UNIT_EXCLUDE = [
  "test/integration/**",
  "test/system/**",
  `test/**/*${PROCESS_TEST_SUFFIX}`,
  ...PROCESS_TESTS,
  ...SLOW_PURE_TESTS,
];
