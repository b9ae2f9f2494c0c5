/**
 * Reusable steps: builders that return Step data (exact commands, risk, undo, files, checks).
 * They decide nothing; runbooks pick them in `decide` and say why.
 */
export * from "./guest-lock.js";
export * from "./mounts.js";
