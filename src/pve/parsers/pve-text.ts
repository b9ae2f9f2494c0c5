/**
 * PVE's text escaping for values stored in config files (guest descriptions, replication
 * comments): `PVE::ParseUtils::encode_text` / `decode_text`, i.e. URI escaping of UTF-8 bytes.
 */

/** Decode `%XX` escapes as UTF-8 bytes; text without escapes is returned as is. */
export function decodePveText(data: string): string {
  if (!data.includes("%")) return data;
  const encoder = new TextEncoder();
  const bytes: number[] = [];
  let i = 0;
  while (i < data.length) {
    const hex = data.slice(i + 1, i + 3);
    if (data[i] === "%" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 3;
      continue;
    }
    const char = String.fromCodePoint(data.codePointAt(i) as number);
    bytes.push(...encoder.encode(char));
    i += char.length;
  }
  return new TextDecoder().decode(Uint8Array.from(bytes));
}

/**
 * Encode like current PVE: every byte outside printable ASCII, plus `:` and `%`, becomes `%XX`
 * (upper-case). Older PVE left `%` alone; `decodePveText` reads both.
 */
export function encodePveText(text: string): string {
  let out = "";
  for (const byte of new TextEncoder().encode(text)) {
    const safe = byte >= 0x20 && byte <= 0x7e && byte !== 0x25 && byte !== 0x3a;
    out += safe ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}
