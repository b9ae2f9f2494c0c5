import { describe, expect, it } from "vitest";
import { setDisable, setProp } from "../../../src/pve/parsers/section-props.js";

describe("setProp", () => {
  it("keeps the file's spelling of an unchanged number or boolean", () => {
    const props = { rate: "50.0", failback: "yes" };
    setProp(props, "rate", 50);
    setProp(props, "failback", true);
    expect(props).toEqual({ rate: "50.0", failback: "yes" });
  });

  it("writes a changed value, booleans as 1/0", () => {
    const props: Record<string, string> = { rate: "50" };
    setProp(props, "rate", 12.5);
    setProp(props, "strict", true);
    expect(props).toEqual({ rate: "12.5", strict: "1" });
  });

  it("does not add a default the file did not have, but keeps one it had", () => {
    const props: Record<string, string> = { state: "started" };
    setProp(props, "max_restart", 1, 1);
    setProp(props, "state", "started", "started");
    expect(props).toEqual({ state: "started" });
  });

  it("removes a key set to null", () => {
    const props: Record<string, string> = { group: "g" };
    setProp(props, "group", null);
    expect(props).toEqual({});
  });
});

describe("setDisable", () => {
  it("writes disable only when set and removes it when cleared", () => {
    const props: Record<string, string> = {};
    setDisable(props, true);
    expect(props).toEqual({ disable: "1" });
    setDisable(props, false);
    expect(props).toEqual({});
  });
});
