import { describe, expect, it } from "vitest";
import { escapeUntrusted } from "../../src/serve/notify/escape.js";
import { Notifier, notificationText, payloadFor } from "../../src/serve/notify/webhook.js";

describe("escapeUntrusted", () => {
  it("turns markup into its characters in HTML, Markdown and Slack's mrkdwn", () => {
    const hostile = "<https://evil.example|click> **[x](javascript:alert(1))** <script>&\n# heading @channel";
    const out = escapeUntrusted(hostile);
    expect(out).not.toMatch(/<|>/);
    expect(out).not.toMatch(/\n/);
    expect(out).not.toMatch(/(^|[^\\])\[/);
    expect(out).not.toMatch(/(^|[^\\])\*/);
    expect(out).not.toContain("@channel");
    expect(out).toContain("&lt;script&gt;&amp;");
  });
});

describe("notifications", () => {
  const n = {
    event: "needs-human" as const,
    cluster: "lab",
    title: "stuck-lock refused",
    fields: { vmid: "<b>100</b>" },
  };

  it("Slack form is { text } with labels escaped", () => {
    const p = payloadFor({ url: "https://hooks.example/x", format: "slack" }, n) as { text: string };
    expect(Object.keys(p)).toEqual(["text"]);
    expect(p.text).toContain("&lt;b&gt;100&lt;/b&gt;");
    expect(p.text).not.toContain("<b>");
  });

  it("JSON form carries the event and escaped fields", () => {
    const p = payloadFor({ url: "https://hooks.example/x", format: "json" }, n);
    expect(p).toMatchObject({
      event: "needs-human",
      cluster: "lab",
      fields: { vmid: "&lt;b&gt;100&lt;/b&gt;" },
    });
    expect(notificationText(n)).toMatch(/^✋ pvefix needs-human on cluster lab/);
  });

  it("delivers only to targets that want the event and reports failures without throwing", async () => {
    const sent: string[] = [];
    const results: Array<[boolean, string]> = [];
    const notifier = new Notifier(
      [
        { url: "https://a.example/hook", format: "json", events: ["done"] },
        { url: "https://b.example/hook", format: "json" },
        { url: "https://c.example/hook", format: "slack" },
      ],
      async (url) => {
        sent.push(url);
        if (url.startsWith("https://c.")) throw new Error("connection refused");
        return 204;
      },
      (ok, target) => results.push([ok, target]),
    );
    await notifier.notify(n);
    expect(sent.sort()).toEqual(["https://b.example/hook", "https://c.example/hook"]);
    expect(results.sort()).toEqual([
      [false, "https://c.example"],
      [true, "https://b.example"],
    ]);
  });
});
