/** The catalogue's entry helpers; they live in src/engine so the engine's own codes use them too. */
export { entry, onNode, type RefusalEntry, type RefusalWords } from "../../engine/refusal-entry.js";
