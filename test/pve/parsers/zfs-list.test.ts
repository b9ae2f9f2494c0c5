import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../../src/pve/parsers/format.js";
import { parseReplicationLog } from "../../../src/pve/parsers/replication-log.js";
import { parseZfsList, parseZpoolList } from "../../../src/pve/parsers/zfs-list.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("zfs list -H -p", () => {
  it("reads snapshots as PVE's volume_snapshot_info asks for them, guids kept exact", () => {
    const rows = parseZfsList(fixture("zfs-list-snapshots-hp.txt"), ["name", "guid", "creation"]);
    expect(rows.map((r) => [r.dataset, r.snapshot, r.guid, r.numbers.creation])).toEqual([
      ["rpool/data/vm-100-disk-0", "__replicate_100-0_1772978527__", "7311264188054791301", 1772978527],
      ["rpool/data/vm-100-disk-0", "before-upgrade", "15264012367389123877", 1773151200],
    ]);
  });

  it("reads a volume's sizes in bytes", () => {
    const fields = ["name", "used", "avail", "refer", "volsize", "written"];
    const [vol] = parseZfsList(fixture("zfs-list-volume-hp.txt"), fields);
    expect(vol).toMatchObject({
      dataset: "rpool/data/vm-100-disk-0",
      snapshot: null,
      numbers: {
        used: 45097156608,
        avail: 1016833212416,
        refer: 41875931136,
        volsize: 68719476736,
        written: 0,
      },
    });
  });

  it("keeps `-` as text and refuses a line with the wrong number of fields", () => {
    const [snap] = parseZfsList("rpool/data/vm-100-disk-0@s\t-\t12\n", ["name", "avail", "used"]);
    expect(snap?.fields.avail).toBe("-");
    expect(snap?.numbers).toEqual({ used: 12 });
    expect(() => parseZfsList("rpool/data 1 2\n", ["name", "used", "avail"])).toThrow(ParseError);
  });

  it("reads zpool list -H -p", () => {
    expect(parseZpoolList(fixture("zpool-list-hp.txt"))).toEqual([
      { name: "rpool", size: 1099511627776, alloc: 49392418816, free: 1050119208960, health: "ONLINE" },
    ]);
  });
});

describe("replication log with a multi-line error", () => {
  it("joins the unprefixed second line of the error to its line (Replication.pm prints the die text raw)", () => {
    const log = parseReplicationLog(fixture("replication-log-100-0-no-common-base.txt"));
    expect(log.status).toBe("error");
    expect(log.error).toBe(
      "No common base snapshot on volume(s) local-zfs:vm-100-disk-0,local-zfs:vm-100-disk-1\n" +
        "Please remove the problematic volume(s) from the replication target or delete and re-create the whole job 100-0",
    );
    expect(log.warnings).toEqual([]);
  });
});
