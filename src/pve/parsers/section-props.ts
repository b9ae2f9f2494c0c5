/**
 * Writing typed fields back into raw SectionConfig properties without disturbing bytes that did
 * not change: typed serializers start from the parsed `props` (which keeps unknown keys) and
 * overlay their fields with `setProp`.
 */
import { isTrue } from "./parser-support.js";

export type PropValue = string | number | boolean | null;

function sameValue(raw: string, value: string | number | boolean): boolean {
  if (typeof value === "boolean")
    return isTrue(raw) === value && /^(0|1|on|off|yes|no|true|false)$/i.test(raw);
  if (typeof value === "number") return raw.trim() !== "" && Number(raw) === value;
  return raw === value;
}

/**
 * Put one typed value into `props`. `null` removes the key. A value equal to the key's default is
 * not added when the file did not have it (PVE does not write defaults it was not given), and a
 * value equal to what the file already says keeps the file's spelling (`50` stays `50`, not `50.0`).
 */
export function setProp(
  props: Record<string, string>,
  key: string,
  value: PropValue,
  defaultValue?: string | number | boolean,
): void {
  if (value === null) {
    delete props[key];
    return;
  }
  const raw = props[key];
  if (raw === undefined && defaultValue !== undefined && value === defaultValue) return;
  if (raw !== undefined && sameValue(raw, value)) return;
  props[key] = typeof value === "boolean" ? (value ? "1" : "0") : String(value);
}

/** `disable` is only ever written when set (bare `\tdisable`); a cleared flag disappears. */
export function setDisable(props: Record<string, string>, disabled: boolean): void {
  if (!disabled) delete props.disable;
  else if (!isTrue(props.disable)) props.disable = "1";
}
