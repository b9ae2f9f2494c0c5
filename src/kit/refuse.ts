/** `refuse(code, data)`: a refusal built from the catalogue's words, typed by its code. */
import type { Refusal } from "../engine/model.js";
import { REFUSALS, type RefusalCode, type RefusalData, type RefusalEntry } from "./refusals/index.js";

/** A refusal whose code the compiler knows. Its JSON is the engine's `{ code, message, detail?, node? }`. */
export type CodedRefusal<C extends string = RefusalCode> = Omit<Refusal, "code"> & { code: C };

/** The refusal itself (for guards, which return it inside their own result). */
export function refusal<C extends RefusalCode>(code: C, data: RefusalData<C>): CodedRefusal<C> {
  const words = (REFUSALS[code] as RefusalEntry<RefusalData<C>>).words(data);
  return {
    code,
    message: words.message,
    ...(words.detail !== undefined ? { detail: words.detail } : {}),
    ...(words.node ? { node: words.node } : {}),
  };
}

/** `decide`'s answer when a guard says no. */
export function refuse<C extends RefusalCode>(
  code: C,
  data: RefusalData<C>,
): { kind: "refusal"; refusal: CodedRefusal<C> } {
  return { kind: "refusal", refusal: refusal(code, data) };
}
