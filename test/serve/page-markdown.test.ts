/** The plan's Markdown as the approval page shows it: every construct of plan -o md, and nothing else ever markup. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { html } from "../../src/serve/http/page/html.js";
import { inlineHtml, markdownHtml } from "../../src/serve/http/page/markdown.js";
import { planMarkdown } from "../../src/views/plan-md.js";
import { hungNfsPlan, stuckLockPlan } from "../views/sample-data.js";

const ALLOWED = new Set([
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "p",
  "pre",
  "code",
  "table",
  "thead",
  "tbody",
  "tr",
  "th",
  "td",
  "ul",
  "li",
  "blockquote",
  "strong",
  "details",
  "summary",
  "br",
]);

/** Every tag of the output: its name is one the renderer makes, its only attribute a language class. */
function tagsAreOurs(out: string): void {
  for (const m of out.matchAll(/<\/?([^\s>/]*)([^>]*)>/g)) {
    expect(ALLOWED.has(m[1] as string), m[0]).toBe(true);
    expect(m[2] as string, m[0]).toMatch(/^(| class="language-[^"<>]*")$/);
  }
}

describe("markdownHtml", () => {
  it("renders a plan's headings, tables, fenced commands, lists and quotes", () => {
    const md = planMarkdown(hungNfsPlan());
    const out = markdownHtml(md).value;
    tagsAreOurs(out);
    expect(out).toMatch(/^<h1>Plan: /);
    expect(out).toContain("<h2>Steps</h2>");
    expect(out).toContain("<thead><tr><th>Fact</th><th>Value</th></tr></thead>");
    expect(out).toMatch(/<pre><code class="language-sh">/);
    expect(out).toContain("<strong>safe</strong>");
    expect(out).not.toContain("```");
    expect(out).not.toMatch(/^\|/m);
    // Every fenced block of the Markdown is one <pre>.
    expect((out.match(/<pre>/g) ?? []).length).toBe((md.match(/^```+\S*$/gm) ?? []).length / 2);
    tagsAreOurs(markdownHtml(planMarkdown(stuckLockPlan())).value);
  });

  it("decodes the view's &lt; outside code and keeps code as written", () => {
    expect(inlineHtml("mount /mnt/pve/&lt;id> and `a &lt; b`")).toBe(
      "mount /mnt/pve/&lt;id&gt; and <code>a &amp;lt; b</code>",
    );
    expect(inlineHtml("``a ` b``")).toBe("<code>a ` b</code>");
    expect(markdownHtml("| A | B |\n|---|---|\n| x \\| y | 1<br>2 |").value).toBe(
      "<table><thead><tr><th>A</th><th>B</th></tr></thead><tbody><tr><td>x | y</td><td>1<br>2</td></tr></tbody></table>",
    );
  });

  it("renders the <details> of a written file, and no other HTML", () => {
    const out = markdownHtml(
      "<details><summary>New content of `a` (3 bytes)</summary>\n\n```\n<b>x</b>\n```\n\n</details>\n\n<div onclick=x>hi</div>\n\n</details>",
    ).value;
    expect(out).toBe(
      "<details><summary>New content of <code>a</code> (3 bytes)</summary>\n<pre><code>&lt;b&gt;x&lt;/b&gt;</code></pre>\n</details>\n<p>&lt;div onclick=x&gt;hi&lt;/div&gt;</p>\n<p>&lt;/details&gt;</p>",
    );
  });

  it("never lets input become markup", () => {
    const pieces = fc.constantFrom(
      "<script>",
      "</code>",
      "`",
      "```",
      "**",
      "| ",
      "|---|",
      "\n",
      "> ",
      "- ",
      "# ",
      "&lt;",
      "<br>",
      "<details><summary>",
      "</summary>",
      "</details>",
      '"',
      "'",
      "x",
      " ",
      "\\|",
    );
    fc.assert(
      fc.property(fc.array(fc.oneof(pieces, fc.string()), { maxLength: 40 }), (parts) => {
        tagsAreOurs(markdownHtml(parts.join("")).value);
      }),
      { numRuns: 500 },
    );
  });

  it("html`` escapes every value, in text and in attributes", () => {
    const evil = `"><script>alert('x')</script>&`;
    expect(html`<a title="${evil}">${evil}</a>`.value).toBe(
      '<a title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;</a>',
    );
    expect(html`${[evil, html`<b>${1}</b>`, null, false]}`.value).toBe(
      "&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;<b>1</b>",
    );
  });
});
