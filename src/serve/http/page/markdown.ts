/**
 * The plan's Markdown (`pvefix plan -o md`, src/views/plan-md.ts) as HTML for the approval page.
 * Only the constructs that view writes are understood — headings, GFM tables, fenced code, lists,
 * block quotes, `**bold**`, `code`, the `&lt;` escape and its `<details>` block; everything else
 * is text. The result is built from escaped text only: no HTML in the input reaches the page.
 */
import { escapeHtml, Html } from "./html.js";

/** Inline text: code spans as they are, `&lt;` decoded then escaped, `**bold**` outside code. */
export function inlineHtml(text: string): string {
  let out = "";
  let rest = text;
  for (;;) {
    const open = /`+/.exec(rest);
    if (!open) break;
    const ticks = open[0];
    const after = rest.slice(open.index + ticks.length);
    // The closing run has exactly as many backticks as the opening one.
    const close = new RegExp(`(?<!\`)${ticks}(?!\`)`).exec(after);
    if (!close) break;
    out += prose(rest.slice(0, open.index));
    let code = after.slice(0, close.index);
    if (code.length > 1 && code.startsWith(" ") && code.endsWith(" ") && code.trim() !== "")
      code = code.slice(1, -1);
    out += `<code>${escapeHtml(code)}</code>`;
    rest = after.slice(close.index + ticks.length);
  }
  return out + prose(rest);
}

function prose(text: string): string {
  return escapeHtml(text.replace(/&lt;/g, "<")).replace(/\*\*(.+?)\*\*/g, "<strong>$1</strong>");
}

function cells(line: string): string[] {
  const inner = line.trim().replace(/^\|/, "").replace(/\|$/, "");
  return inner.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, "|"));
}

function cellHtml(cell: string): string {
  return cell.split("<br>").map(inlineHtml).join("<br>");
}

const FENCE = /^(`{3,})([^`\s]*)\s*$/;
const HEADING = /^(#{1,6}) (.*)$/;
const TABLE_RULE = /^\|(\s*:?-+:?\s*\|)+\s*$/;
const DETAILS_OPEN = /^<details><summary>(.*)<\/summary>$/;

function isBlockStart(line: string, next: string | undefined): boolean {
  return (
    FENCE.test(line) ||
    HEADING.test(line) ||
    line.startsWith(">") ||
    line.startsWith("- ") ||
    DETAILS_OPEN.test(line) ||
    line === "</details>" ||
    (line.startsWith("|") && next !== undefined && TABLE_RULE.test(next))
  );
}

/** Blocks from `lines[start]` until the end or a `</details>` line; returns the HTML and where it stopped. */
function blocks(lines: readonly string[], start: number, nested: boolean): { html: string; next: number } {
  const out: string[] = [];
  let i = start;
  while (i < lines.length) {
    const line = lines[i] as string;
    if (line.trim() === "") {
      i++;
      continue;
    }
    if (line === "</details>" && nested) return { html: out.join("\n"), next: i + 1 };
    const fence = FENCE.exec(line);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !new RegExp(`^${fence[1]}\`*\\s*$`).test(lines[i] as string))
        body.push(lines[i++] as string);
      i++;
      const lang = fence[2] ? ` class="language-${escapeHtml(fence[2])}"` : "";
      out.push(`<pre><code${lang}>${escapeHtml(body.join("\n"))}</code></pre>`);
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      const level = (heading[1] as string).length;
      out.push(`<h${level}>${inlineHtml(heading[2] as string)}</h${level}>`);
      i++;
      continue;
    }
    const details = DETAILS_OPEN.exec(line);
    if (details) {
      const inner = blocks(lines, i + 1, true);
      out.push(`<details><summary>${inlineHtml(details[1] as string)}</summary>\n${inner.html}\n</details>`);
      i = inner.next;
      continue;
    }
    if (line.startsWith("|") && TABLE_RULE.test(lines[i + 1] ?? "")) {
      const head = cells(line);
      i += 2;
      const rows: string[][] = [];
      while (i < lines.length && (lines[i] as string).startsWith("|")) rows.push(cells(lines[i++] as string));
      out.push(
        [
          "<table>",
          `<thead><tr>${head.map((c) => `<th>${cellHtml(c)}</th>`).join("")}</tr></thead>`,
          `<tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${cellHtml(c)}</td>`).join("")}</tr>`).join("")}</tbody>`,
          "</table>",
        ].join(""),
      );
      continue;
    }
    if (line.startsWith(">")) {
      const quoted: string[] = [];
      while (i < lines.length && (lines[i] as string).startsWith(">"))
        quoted.push((lines[i++] as string).replace(/^> ?/, ""));
      out.push(`<blockquote><p>${quoted.map(inlineHtml).join("<br>")}</p></blockquote>`);
      continue;
    }
    if (line.startsWith("- ")) {
      const items: string[][] = [];
      while (i < lines.length) {
        const l = lines[i] as string;
        if (l.startsWith("- ")) items.push([l.slice(2)]);
        else if (l.startsWith("  ") && l.trim() !== "") items.at(-1)?.push(l.slice(2));
        else break;
        i++;
      }
      out.push(`<ul>${items.map((it) => `<li>${it.map(inlineHtml).join("<br>")}</li>`).join("")}</ul>`);
      continue;
    }
    const para: string[] = [];
    while (
      i < lines.length &&
      (lines[i] as string).trim() !== "" &&
      (para.length === 0 || !isBlockStart(lines[i] as string, lines[i + 1]))
    )
      para.push(lines[i++] as string);
    out.push(`<p>${para.map(inlineHtml).join("<br>")}</p>`);
  }
  return { html: out.join("\n"), next: i };
}

export function markdownHtml(markdown: string): Html {
  return new Html(blocks(markdown.replace(/\r\n/g, "\n").split("\n"), 0, false).html);
}
