/** Aligned text tables and the few Markdown escapes every md view needs. */

/** Columns padded to their widest cell; the last column is not padded (no trailing spaces). */
export function textTable(
  headers: string[],
  rows: string[][],
  styleHeader: (s: string) => string = (s) => s,
): string {
  const widths = headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ""))));
  const line = (cells: string[], style: (s: string) => string = (s) => s) =>
    cells
      .map((cell, i) =>
        i === cells.length - 1 ? style(cell) : style(cell) + " ".repeat(widths[i]! - width(cell)),
      )
      .join("  ")
      .trimEnd();
  return [line(headers, styleHeader), ...rows.map((r) => line(r))].join("\n");
}

/** Display width, counting code points (the symbols we print are one column wide). */
function width(text: string): number {
  return [...text].length;
}

/** A GitHub-flavoured Markdown table. */
export function mdTable(headers: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map(mdCell).join(" | ")} |`;
  return [line(headers), `|${headers.map(() => "---").join("|")}|`, ...rows.map(line)].join("\n");
}

/** A table cell: pipes escaped and line breaks kept as `<br>`. */
export function mdCell(text: string): string {
  return mdText(text).replace(/\|/g, "\\|").replace(/\n/g, "<br>");
}

/**
 * Prose that may hold `code spans`: outside them `<` would start an HTML tag and swallow text
 * such as `/mnt/pve/<id>`, so it is escaped there and left alone inside code.
 */
export function mdText(text: string): string {
  return text
    .split(/(`[^`\n]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/</g, "&lt;")))
    .join("");
}

/** Inline code that survives backticks in its content. */
export function mdCode(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = "`".repeat(longest + 1);
  const pad = text.startsWith("`") || text.endsWith("`") ? " " : "";
  return `${ticks}${pad}${text}${pad}${ticks}`;
}

/** A fenced block whose fence is longer than any backtick run inside it. */
export function mdFence(lang: string, body: string): string {
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${body.replace(/\n$/, "")}\n${fence}`;
}

/** A bullet list, or a placeholder when there is nothing to list (sections stay fixed). */
export function mdList(items: readonly string[], empty = "None."): string {
  return items.length === 0
    ? empty
    : items.map((item) => `- ${mdText(item).replace(/\n/g, "\n  ")}`).join("\n");
}

/** `key  value` pairs with the values aligned; continuation lines of a value stay under it. */
export function keyValues(
  pairs: Array<[string, string]>,
  prefix = "  ",
  styleKey: (s: string) => string = (s) => s,
): string {
  const keyWidth = Math.max(0, ...pairs.map(([key]) => width(key)));
  return pairs
    .map(([key, value]) => {
      const pad = " ".repeat(keyWidth - width(key) + 2);
      const hang = " ".repeat(prefix.length + keyWidth + 2);
      return `${prefix}${styleKey(key)}${pad}${value.split("\n").join(`\n${hang}`)}`.trimEnd();
    })
    .join("\n");
}
