/**
 * Codes the engine returns for every runbook: the catalogue's `engine` domain. Their entries (data
 * types and words) live in src/engine/refusals.ts, below the kit, because the engine builds these
 * refusals itself from the same words; a runbook may declare them and raise them from its guards.
 */
export { engineRefusals } from "../../engine/refusals.js";
