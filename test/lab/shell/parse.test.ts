import { describe, expect, it } from "vitest";
import { parseScript, ShellSyntaxError } from "../../../src/lab/shell/parse.js";

const UNSUPPORTED = "sh: 1: Syntax error: unsupported in the pvefix lab";

describe("parseScript", () => {
  it("splits lists, and-or chains and pipelines", () => {
    const script = parseScript("a 1 && b || c | d; e");
    expect(script).toHaveLength(2);
    expect(script[0]?.ops).toEqual(["&&", "||"]);
    expect(script[0]?.pipelines.map((p) => p.map((c) => c.argv[0]))).toEqual([["a"], ["b"], ["c", "d"]]);
    expect(script[1]?.pipelines[0]?.[0]?.argv).toEqual(["e"]);
  });

  it("treats a bare digit right before a redirect as the file descriptor", () => {
    const [cmd] = parseScript("cat /x 2>/dev/null >out 2>&1")[0]?.pipelines[0] ?? [];
    expect(cmd?.argv).toEqual(["cat", "/x"]);
    expect(cmd?.redirects).toEqual([
      { fd: 2, op: ">", target: "/dev/null" },
      { fd: 1, op: ">", target: "out" },
      { fd: 2, op: ">&", target: "1" },
    ]);
  });

  it("keeps quoted words whole, including the '\\'' idiom", () => {
    const [cmd] = parseScript(`echo "a b" 'it'\\''s' '$(not run)'`)[0]?.pipelines[0] ?? [];
    expect(cmd?.argv).toEqual(["echo", "a b", "it's", "$(not run)"]);
  });

  it.each([
    ["command substitution", "echo $(id)"],
    ["command substitution in double quotes", 'echo "$(id)"'],
    ["backticks", "echo `id`"],
    ["parameter expansion", "echo $HOME"],
    ["globs", "rm -rf /etc/corosync/*"],
    ["background jobs", "sleep 1 &"],
    ["subshells", "(cd /tmp)"],
    ["here documents", "cat <<EOF"],
  ])("refuses %s", (_what, line) => {
    expect(() => parseScript(line)).toThrow(new ShellSyntaxError(UNSUPPORTED));
  });

  it("reports a dangling operator like dash", () => {
    expect(() => parseScript("true &&")).toThrow("sh: 1: Syntax error: end of file unexpected");
    expect(() => parseScript("&& true")).toThrow('sh: 1: Syntax error: "&&" unexpected');
  });
});
