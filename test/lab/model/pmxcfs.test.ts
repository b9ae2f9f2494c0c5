import { describe, expect, it } from "vitest";
import { memoryLab } from "../helpers.js";

describe(".members and .vmlist", () => {
  it("renders .members in pmxcfs' exact shape with the bracket right after the ip", () => {
    const lab = memoryLab("stuck-lock-no-quorum");
    expect(lab.sh("pve2", "cat /etc/pve/.members").stdout).toBe(
      [
        "{",
        '"nodename": "pve2",',
        '"version": 1267,',
        '"cluster": { "name": "lab", "version": 3, "nodes": 3, "quorate": 1 },',
        '"nodelist": {',
        '  "pve1": { "id": 1, "online": 0, "ip": "10.10.10.1"},',
        '  "pve2": { "id": 2, "online": 1, "ip": "10.10.10.2"},',
        '  "pve3": { "id": 3, "online": 1, "ip": "10.10.10.3"}',
        "  }",
        "}",
        "",
      ].join("\n"),
    );
  });

  it("lists every guest config in .vmlist with its node and type", () => {
    const lab = memoryLab();
    const vmlist = JSON.parse(lab.sh("pve3", "cat /etc/pve/.vmlist").stdout) as {
      ids: Record<string, unknown>;
    };
    expect(vmlist.ids).toEqual({
      "100": { node: "pve1", type: "lxc", version: expect.any(Number) },
      "101": { node: "pve2", type: "lxc", version: expect.any(Number) },
      "105": { node: "pve2", type: "lxc", version: expect.any(Number) },
      "200": { node: "pve1", type: "qemu", version: expect.any(Number) },
      "300": { node: "pve3", type: "qemu", version: expect.any(Number) },
    });
  });

  it("follows a guest config moved to another node's directory", () => {
    const lab = memoryLab();
    lab.sh("pve2", "mv /etc/pve/nodes/pve3/qemu-server/300.conf /etc/pve/nodes/pve2/qemu-server/300.conf");
    expect(lab.sh("pve1", "cat /etc/pve/.vmlist").stdout).toContain(
      '"300": { "node": "pve2", "type": "qemu"',
    );
    expect(lab.sh("pve2", "qm config 300").exitCode).toBe(0);
  });

  it("prints only the version when there are no guests", () => {
    const lab = memoryLab();
    for (const key of Object.keys(lab.state.pve))
      if (key.endsWith(".conf") && key.startsWith("nodes/")) delete lab.state.pve[key];
    expect(lab.sh("pve1", "cat /etc/pve/.vmlist").stdout).toMatch(/^\{\n"version": \d+\n\n\}\n$/);
  });

  it("refuses writes to the generated files even with quorum", () => {
    expect(memoryLab().sh("pve1", "echo {} > /etc/pve/.members").exitCode).toBe(2);
  });
});
