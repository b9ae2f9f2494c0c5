import { describe, expect, it } from "vitest";
import { JumpSpecError, parseJumpSpec } from "../../../src/transport/ssh/jump-spec.js";

describe("parseJumpSpec", () => {
  it("reads [user@]host[:port] hops in connection order", () => {
    expect(parseJumpSpec("admin@bastion:2222,pve1")).toEqual([
      { text: "admin@bastion:2222", user: "admin", host: "bastion", port: 2222 },
      { text: "pve1", user: undefined, host: "pve1", port: undefined },
    ]);
  });

  it("accepts ssh:// URIs and bracketed IPv6 addresses", () => {
    expect(parseJumpSpec("ssh://root@[fd00::1]:22")).toEqual([
      { text: "ssh://root@[fd00::1]:22", user: "root", host: "fd00::1", port: 22 },
    ]);
  });

  it("treats an absent, empty or `none` value as no jump", () => {
    expect(parseJumpSpec(undefined)).toEqual([]);
    expect(parseJumpSpec(" ")).toEqual([]);
    expect(parseJumpSpec("none")).toEqual([]);
  });

  it("rejects malformed hops with a message that shows the hop", () => {
    expect(() => parseJumpSpec("root@bastion:99999")).toThrow(JumpSpecError);
    expect(() => parseJumpSpec("@bastion")).toThrow(
      "Expected a jump host as [user@]host[:port], got `@bastion`",
    );
    expect(() => parseJumpSpec("a:b:c")).toThrow("got `a:b:c`");
  });
});
