import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  isNetworkStorage,
  parseStorageCfg,
  storageCfgFormat,
  storageEnabledOn,
  storageMountPath,
} from "../../../src/pve/parsers/storage-cfg.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("parseStorageCfg", () => {
  const storages = parseStorageCfg(fixture("storage-cfg-pve-written.txt"));
  const byId = (id: string) => storages.find((s) => s.id === id);

  it("reads an NFS storage with server, export, path, content and mount options", () => {
    expect(byId("nfs-backup")).toMatchObject({
      type: "nfs",
      server: "10.0.0.50",
      export: "/export/pve-backup",
      path: "/mnt/pve/nfs-backup",
      content: ["backup"],
      options: "vers=4.2,soft",
      nodes: null,
      disabled: false,
    });
  });

  it("reads a disabled CIFS storage restricted to some nodes", () => {
    const smb = byId("smb-iso");
    expect(smb).toMatchObject({ share: "iso", disabled: true, nodes: ["pve1", "pve2"] });
    expect(smb?.props.username).toBe("svc-pve");
  });

  it("leaves optional network fields absent on local storages", () => {
    const local = byId("local");
    expect(local?.server).toBeUndefined();
    expect(local?.content).toEqual(["iso", "vztmpl", "backup"]);
  });

  it("accepts a hand-edited file with comments and a bare boolean", () => {
    const [, zfs] = parseStorageCfg(fixture("storage-cfg-hand-edited.txt"));
    expect(zfs).toMatchObject({ id: "local-zfs", type: "zfspool", path: null, props: { sparse: "1" } });
  });

  it("is reachable as the storage-cfg format", () => {
    expect(storageCfgFormat.name).toBe("storage-cfg");
    expect(
      storageCfgFormat.schema.parse(storageCfgFormat.parse(fixture("storage-cfg-pve-written.txt"))),
    ).toHaveLength(5);
  });
});

describe("storageMountPath", () => {
  it("uses the configured path when there is one", () => {
    expect(storageMountPath({ id: "local", type: "dir", path: "/var/lib/vz" })).toBe("/var/lib/vz");
  });

  it("defaults network storages to /mnt/pve/<id>", () => {
    expect(storageMountPath({ id: "cephfs", type: "cephfs", path: null })).toBe("/mnt/pve/cephfs");
    expect(storageMountPath({ id: "gl", type: "glusterfs", path: null })).toBe("/mnt/pve/gl");
  });

  it("has no mount path for block storages without a path", () => {
    expect(storageMountPath({ id: "local-lvm", type: "lvmthin", path: null })).toBeNull();
  });
});

describe("isNetworkStorage / storageEnabledOn", () => {
  it("counts nfs, cifs, glusterfs and cephfs as network storages, and nothing else", () => {
    expect(["nfs", "cifs", "glusterfs", "cephfs"].every((type) => isNetworkStorage({ type }))).toBe(true);
    expect(isNetworkStorage({ type: "zfspool" })).toBe(false);
    expect(isNetworkStorage({ type: "rbd" })).toBe(false);
  });

  it("tells whether a storage is enabled on a node", () => {
    expect(storageEnabledOn({ disabled: false, nodes: ["pve1"] }, "pve1")).toBe(true);
    expect(storageEnabledOn({ disabled: false, nodes: ["pve1"] }, "pve2")).toBe(false);
    expect(storageEnabledOn({ disabled: true, nodes: null }, "pve1")).toBe(false);
  });
});
