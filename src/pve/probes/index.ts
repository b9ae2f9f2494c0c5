/**
 * Reusable probes: read-only functions of a ProbeContext that return typed facts.
 * Probes change nothing on the cluster; every command they run is a read with a timeout.
 */
export * from "./guests.js";
export * from "./quorum.js";
export * from "./storage.js";
export * from "./tasks.js";
