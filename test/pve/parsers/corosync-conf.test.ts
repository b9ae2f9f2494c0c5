import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  configVersionOf,
  parseCorosyncConf,
  serializeCorosyncConf,
  setConfigVersion,
  verifyCorosyncConf,
} from "../../../src/pve/parsers/corosync-conf.js";
import { ParseError } from "../../../src/pve/parsers/format.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");
const pveWritten = fixture("corosync-conf-pve-written.txt");
const handEdited = fixture("corosync-conf-hand-edited-qdevice.txt");

describe("parseCorosyncConf", () => {
  it("reads the totem, node and quorum facts of a PVE-written file", () => {
    const conf = parseCorosyncConf(pveWritten);
    expect(conf).toMatchObject({
      clusterName: "prod-cl01",
      configVersion: 7,
      transport: null,
      linkMode: "passive",
      quorum: { provider: "corosync_votequorum" },
      hasQdevice: false,
      twoNode: false,
    });
    expect(conf.interfaces).toEqual([
      { linknumber: 0, props: { knet_link_priority: "15", linknumber: "0" } },
      { linknumber: 1, props: { knet_link_priority: "20", linknumber: "1" } },
    ]);
    expect(conf.nodes[1]).toEqual({
      name: "pve2",
      nodeid: 2,
      quorumVotes: 1,
      rings: { 0: "10.10.10.2", 1: "10.20.20.2" },
      props: {
        name: "pve2",
        nodeid: "2",
        quorum_votes: "1",
        ring0_addr: "10.10.10.2",
        ring1_addr: "10.20.20.2",
      },
    });
  });

  it("reads a hand-edited file in any order, with tabs, comments and a quorum device", () => {
    const conf = parseCorosyncConf(handEdited);
    expect(conf.clusterName).toBe("edge");
    expect(conf.configVersion).toBe(4);
    expect(conf.hasQdevice).toBe(true);
    expect(conf.nodes.map((n) => [n.name, n.nodeid, n.rings[0]])).toEqual([
      ["pve-b", 2, "192.168.51.240"],
      ["pve-a", 1, "192.168.51.239"],
    ]);
    expect(conf.tree.sections.quorum?.[0]?.sections.device?.[0]?.sections.net?.[0]?.props.host).toBe(
      "192.168.51.10",
    );
  });

  it("reads the old wiki layout with ringnumber, bindnetaddr and blank lines inside sections", () => {
    const conf = parseCorosyncConf(fixture("corosync-conf-wiki-ringnumber.txt"));
    expect(conf.interfaces).toEqual([
      { linknumber: 0, props: { bindnetaddr: "10.10.1.151", ringnumber: "0" } },
    ]);
    expect(conf.nodes.map((n) => n.name)).toEqual(["two", "one", "three"]);
    expect(conf.configVersion).toBe(8);
  });

  it("falls back to ring0_addr for a node without a name and defaults quorum_votes to 1", () => {
    const conf = parseCorosyncConf("nodelist {\n  node {\n    ring0_addr: 10.0.0.9\n    nodeid: 9\n  }\n}\n");
    expect(conf.nodes[0]).toMatchObject({ name: "10.0.0.9", nodeid: 9, quorumVotes: 1 });
  });

  it("reads two_node from the quorum section", () => {
    const conf = parseCorosyncConf("quorum {\n  provider: corosync_votequorum\n  two_node: 1\n}\n");
    expect(conf.twoNode).toBe(true);
  });

  it("accepts CRLF line ends", () => {
    expect(parseCorosyncConf(pveWritten.replaceAll("\n", "\r\n")).nodes).toHaveLength(3);
  });

  it("rejects a duplicated section that may not repeat, naming both lines", () => {
    const text = "totem {\n  version: 2\n}\ntotem {\n  version: 2\n}\n";
    expect(() => parseCorosyncConf(text)).toThrow(
      /line 4: section 'totem' already exists and not marked as array \(first on line 1\)/,
    );
  });

  it("rejects a key set twice in one section (corosync takes the last, pmxcfs the first)", () => {
    const text = "totem {\n  config_version: 4\n  config_version: 5\n}\n";
    expect(() => parseCorosyncConf(text)).toThrow(/line 3: key 'config_version' is set twice/);
  });

  it("rejects an unclosed section and a stray brace", () => {
    expect(() => parseCorosyncConf("totem {\n  version: 2\n")).toThrow(
      /section 'totem' opened on line 1 is never closed/,
    );
    expect(() => parseCorosyncConf("}\n")).toThrow(/line 1: unexpected '}'/);
  });

  it("rejects a key without colon or value, naming the line", () => {
    expect(() => parseCorosyncConf("totem {\n  version 2\n}\n")).toThrow(/line 2: expected 'key: value'/);
    expect(() => parseCorosyncConf("totem {\n  version:\n}\n")).toThrow(/line 2: no value for 'version'/);
  });
});

describe("configVersionOf", () => {
  it("reads the version like pmxcfs: the first match, even inside a comment", () => {
    expect(configVersionOf(pveWritten)).toBe(7);
    expect(configVersionOf(handEdited)).toBe(3);
  });

  it("returns null when there is no version", () => {
    expect(configVersionOf("totem {\n}\n")).toBeNull();
  });
});

describe("setConfigVersion", () => {
  it("rewrites only the totem config_version value", () => {
    const out = setConfigVersion(pveWritten, 8);
    expect(out).toBe(pveWritten.replace("config_version: 7", "config_version: 8"));
  });

  it("keeps tabs and CRLF line ends byte for byte", () => {
    const crlf = "totem {\r\n\tconfig_version:\t12\r\n\tversion: 2\r\n}\r\n";
    expect(setConfigVersion(crlf, 13)).toBe("totem {\r\n\tconfig_version:\t13\r\n\tversion: 2\r\n}\r\n");
  });

  it("refuses when an earlier comment would make pmxcfs read another version", () => {
    expect(() => setConfigVersion(handEdited, 5)).toThrow(/pmxcfs would read config_version 3/);
  });

  it("refuses a file without totem.config_version and a version that is not a positive integer", () => {
    expect(() => setConfigVersion("totem {\n  version: 2\n}\n", 2)).toThrow(ParseError);
    expect(() => setConfigVersion(pveWritten, 0)).toThrow(RangeError);
    expect(() => setConfigVersion(pveWritten, 7.5)).toThrow(RangeError);
  });
});

describe("serializeCorosyncConf", () => {
  it("writes a PVE-written file back byte for byte", () => {
    expect(serializeCorosyncConf(parseCorosyncConf(pveWritten).tree)).toBe(pveWritten);
  });

  it("writes a hand-edited file in PVE order: sorted keys and sections, nodes by name, 2-space indent", () => {
    const out = serializeCorosyncConf(parseCorosyncConf(handEdited).tree);
    expect(out).toBe(`logging {
  debug: off
  to_syslog: yes
}

nodelist {
  node {
    name: pve-a
    nodeid: 1
    quorum_votes: 1
    ring0_addr: 192.168.51.239
  }
  node {
    name: pve-b
    nodeid: 2
    quorum_votes: 1
    ring0_addr: 192.168.51.240
  }
}

quorum {
  device {
    model: net
    net {
      algorithm: ffsplit
      host: 192.168.51.10
      tls: on
    }
    votes: 1
  }
  provider: corosync_votequorum
}

totem {
  cluster_name: edge
  config_version: 4
  interface {
    linknumber: 0
  }
  link_mode: passive
  secauth: on
  version: 2
}

`);
    expect(serializeCorosyncConf(parseCorosyncConf(out).tree)).toBe(out);
  });
});

describe("verifyCorosyncConf", () => {
  const verify = (text: string) => verifyCorosyncConf(parseCorosyncConf(text));

  it("finds nothing wrong in a PVE-written or hand-edited file", () => {
    expect(verify(pveWritten)).toEqual([]);
    expect(verify(handEdited)).toEqual([]);
  });

  it("reports a missing totem, nodelist and quorum provider", () => {
    expect(verify("logging {\n  debug: off\n}\n")).toEqual([
      "no totem section",
      "no nodes found",
      "quorum has no provider (expected corosync_votequorum)",
    ]);
  });

  it("reports a totem without cluster_name or config_version", () => {
    const text = pveWritten.replace("  cluster_name: prod-cl01\n", "").replace("  config_version: 7\n", "");
    expect(verify(text)).toEqual(["totem has no cluster_name", "totem has no config_version"]);
  });

  it("reports duplicate node names, node ids and addresses", () => {
    const text = pveWritten
      .replace("name: pve3", "name: pve2")
      .replace("nodeid: 3", "nodeid: 1")
      .replace("ring1_addr: 10.20.20.3", "ring1_addr: 10.20.20.1");
    expect(verify(text)).toEqual([
      "node name 'pve2' is used by more than one node",
      "nodeid 1 is not unique (nodes 'pve1' and 'pve2')",
      "address '10.20.20.1' of node 'pve2' (ring1_addr) is also used by node 'pve1' (ring1_addr)",
    ]);
  });

  it("reports a node missing a link the others have, when no interface blocks exist", () => {
    const text = pveWritten
      .replace(/ {2}interface \{\n[^}]*\}\n/g, "")
      .replace("    ring1_addr: 10.20.20.2\n", "");
    expect(verify(text)).toEqual(["node 'pve2' is missing link 1, which is configured on other nodes"]);
  });

  it("reports a ring address without interface block and an interface without address", () => {
    const noInterface1 = pveWritten.replace(
      "  interface {\n    knet_link_priority: 20\n    linknumber: 1\n  }\n",
      "",
    );
    expect(verify(noInterface1)).toEqual([
      "node 'pve1' has 'ring1_addr', but there is no interface number 1 configured",
      "node 'pve2' has 'ring1_addr', but there is no interface number 1 configured",
      "node 'pve3' has 'ring1_addr', but there is no interface number 1 configured",
    ]);
    const missingAddr = pveWritten.replace("    ring1_addr: 10.20.20.3\n", "");
    expect(verify(missingAddr)).toEqual(["node 'pve3' is missing address for interface number 1"]);
  });

  it("reports a node without nodeid", () => {
    expect(verify(pveWritten.replace("    nodeid: 2\n", ""))).toEqual(["node 'pve2' has no valid nodeid"]);
  });

  it("reports two_node combined with a quorum device", () => {
    const text = handEdited.replace(
      "\tprovider: corosync_votequorum\n",
      "\tprovider: corosync_votequorum\n\ttwo_node: 1\n",
    );
    expect(verify(text)).toEqual(["two_node and quorum device cannot be configured at the same time"]);
  });
});
