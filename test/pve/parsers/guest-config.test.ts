import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ParseError } from "../../../src/pve/parsers/format.js";
import {
  GuestConfig,
  guestConfigFormat,
  guestVolumes,
  parseGuestConfig,
  setMainKey,
} from "../../../src/pve/parsers/guest-config.js";

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8");

describe("parseGuestConfig", () => {
  const vm = parseGuestConfig(fixture("guest-config-vm-backup-lock.txt"));
  const ct = parseGuestConfig(fixture("guest-config-ct-snapshot-lock.txt"));

  it("reads the lock of the main section", () => {
    expect(vm.lock).toBe("backup");
    expect(vm.main.lock).toBe("backup");
  });

  it("does not take a lock in [PENDING] or a snapshot as the guest lock", () => {
    const unlocked = parseGuestConfig(fixture("guest-config-vm-unlocked.txt"));
    expect(unlocked.lock).toBeNull();
    expect(unlocked.pending?.lock).toBe("migrate");
    expect(unlocked.snapshots["before-upgrade"]?.lock).toBe("snapshot");
    expect(ct.lock).toBeNull();
    expect(ct.snapshots.vzdump?.lock).toBe("backup");
  });

  it("decodes the description from the leading comment lines", () => {
    expect(vm.description).toBe("Web server: production\nowner ops%team");
    expect(ct.description).toBe("Mail relay");
  });

  it("keeps a snapshot's own comment as its description", () => {
    expect(vm.snapshots["before-upgrade"]).toMatchObject({
      description: "pre upgrade",
      snapstate: "prepare",
    });
  });

  it("reads the pending section of VMs and containers", () => {
    expect(vm.pending).toEqual({ lock: "migrate", memory: "8192" });
    expect(ct.pending).toEqual({ memory: "1024" });
  });

  it("reads special sections separately from snapshots", () => {
    expect(vm.specials).toEqual({ cloudinit: { ipconfig0: "ip=dhcp" } });
    expect(Object.keys(vm.snapshots)).toEqual(["before-upgrade"]);
  });

  it("keeps values containing colons and raw lxc keys", () => {
    expect(vm.main.scsi0).toBe("local-lvm:vm-100-disk-0,iothread=1,size=32G");
    expect(ct.main["lxc.cgroup2.devices.allow"]).toBe("c 188:* rwm");
  });

  it("has no pending section and an empty description when the file has none", () => {
    const plain = parseGuestConfig("cores: 1\nmemory: 512\n");
    expect(plain).toEqual({
      main: { cores: "1", memory: "512" },
      lock: null,
      description: "",
      pending: null,
      snapshots: {},
      specials: {},
    });
  });

  it("reads the temporary config of a clone target", () => {
    const clone = parseGuestConfig("# qmclone temporary file\nlock: clone\n");
    expect(clone.lock).toBe("clone");
    expect(clone.description).toBe(" qmclone temporary file");
  });

  it("refuses a line that is not key: value, naming the line", () => {
    expect(() => parseGuestConfig("cores: 1\nthis is not a key\n")).toThrowError(
      expect.objectContaining({ name: "ParseError", line: 2 }),
    );
  });

  it("refuses a key without value", () => {
    expect(() => parseGuestConfig("lock:\n")).toThrow(ParseError);
  });

  it("returns a value the schema accepts", () => {
    expect(GuestConfig.parse(vm)).toEqual(vm);
    expect(guestConfigFormat.name).toBe("guest-config");
  });
});

describe("guestVolumes", () => {
  it("lists VM disks, the ISO with its media and unused volumes", () => {
    const vm = parseGuestConfig(fixture("guest-config-vm-backup-lock.txt"));
    expect(guestVolumes(vm.main)).toEqual([
      { key: "ide2", storage: "local", volume: "iso/debian-12.5.0-amd64-netinst.iso", media: "cdrom" },
      { key: "scsi0", storage: "local-lvm", volume: "vm-100-disk-0" },
      { key: "scsi1", storage: "nfs-backup", volume: "100/vm-100-disk-1.qcow2" },
      { key: "unused0", storage: "local-lvm", volume: "vm-100-disk-2" },
    ]);
  });

  it("skips bind mounts and pass-through devices of a container", () => {
    const ct = parseGuestConfig(fixture("guest-config-ct-snapshot-lock.txt"));
    expect(guestVolumes(ct.main)).toEqual([
      { key: "mp1", storage: "local-zfs", volume: "subvol-101-disk-1" },
      { key: "rootfs", storage: "local-zfs", volume: "subvol-101-disk-0" },
    ]);
  });

  it("skips an empty drive, a physical cdrom and a host block device", () => {
    const main = {
      ide2: "none,media=cdrom",
      ide0: "cdrom,media=cdrom",
      scsi2: "/dev/disk/by-id/ata-X,size=1T",
    };
    expect(guestVolumes(main)).toEqual([]);
  });

  it("reads efidisk0, tpmstate0 and an explicit volume= key", () => {
    const main = {
      efidisk0: "local-lvm:vm-100-disk-1,efitype=4m,pre-enrolled-keys=1,size=4M",
      tpmstate0: "local-lvm:vm-100-disk-2,size=4M,version=v2.0",
      mp0: "mp=/data,volume=tank:subvol-101-disk-2,size=8G",
      scsihw: "virtio-scsi-single",
    };
    expect(guestVolumes(main).map((v) => `${v.key}=${v.storage}:${v.volume}`)).toEqual([
      "efidisk0=local-lvm:vm-100-disk-1",
      "tpmstate0=local-lvm:vm-100-disk-2",
      "mp0=tank:subvol-101-disk-2",
    ]);
  });

  it("refuses a disk value it cannot read instead of hiding a volume", () => {
    expect(() => guestVolumes({ scsi0: "vm-100-disk-0" })).toThrow(ParseError);
  });
});

describe("setMainKey", () => {
  const locked = fixture("guest-config-vm-backup-lock.txt");
  const unlocked = fixture("guest-config-vm-unlocked.txt");

  it("removes the main lock and leaves the pending and snapshot locks alone", () => {
    expect(setMainKey(locked, "lock", null)).toBe(unlocked);
  });

  it("adds lock: backup back at its sorted place, giving the original bytes", () => {
    expect(setMainKey(unlocked, "lock", "backup")).toBe(locked);
    expect(setMainKey(setMainKey(locked, "lock", null), "lock", "backup")).toBe(locked);
  });

  it("replaces an existing value in place", () => {
    const changed = setMainKey(locked, "lock", "migrate");
    expect(parseGuestConfig(changed).lock).toBe("migrate");
    expect(changed.replace("lock: migrate\nmemory: 4096", "lock: backup\nmemory: 4096")).toBe(locked);
  });

  it("puts a key after the description and before raw lxc lines", () => {
    const ct = fixture("guest-config-ct-snapshot-lock.txt");
    const withLock = setMainKey(ct, "lock", "mounted");
    expect(withLock).toContain("hostname: mail01\nlock: mounted\nmemory: 512\n");
    expect(setMainKey("#note\n", "lock", "backup")).toBe("#note\nlock: backup\n");
    expect(setMainKey("unprivileged: 1\nlxc.apparmor.profile: unconfined\n", "vmgenid", "x")).toBe(
      "unprivileged: 1\nvmgenid: x\nlxc.apparmor.profile: unconfined\n",
    );
  });

  it("adds a key to an empty config", () => {
    expect(setMainKey("", "lock", "create")).toBe("lock: create\n");
  });

  it("leaves the text unchanged when removing a key that is not there", () => {
    expect(setMainKey(unlocked, "lock", null)).toBe(unlocked);
  });

  it("refuses a value with a line break or an invalid key", () => {
    expect(() => setMainKey(unlocked, "lock", "backup\nmemory: 1")).toThrow(RangeError);
    expect(() => setMainKey(unlocked, "Lock Key", "x")).toThrow(RangeError);
  });
});
