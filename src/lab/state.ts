/**
 * The lab's whole world as data: one JSON document shared by every process that talks to the lab
 * (`pvefix run`, `pvefix undo`, `pvefix lab exec`, `lab serve`). Everything a command prints is
 * derived from this state at the moment it runs, so nothing is cached anywhere else.
 */
import { z } from "zod";

export const LAB_STATE_VERSION = 1;

/** systemd ActiveState values `systemctl is-active` can print. */
export const UnitState = z.enum(["active", "inactive", "failed", "activating", "deactivating"]);
export type UnitState = z.infer<typeof UnitState>;

export const LabMount = z.object({
  source: z.string(),
  mountpoint: z.string(),
  fstype: z.string(),
  options: z.string(),
  /** A hard NFS mount whose server stopped answering: every access to it blocks forever. */
  hung: z.boolean(),
});
export type LabMount = z.infer<typeof LabMount>;

export const LabProc = z.object({
  pid: z.number().int().positive(),
  /** Clock ticks since boot (`/proc/<pid>/stat` field 22), the `pstart` of a UPID. */
  starttime: z.number().int().nonnegative(),
  comm: z.string(),
  /** R, S, D, Z … as in `/proc/<pid>/stat` field 3. */
  state: z.string().length(1),
  /** The command line `ps -o args` prints; empty = `[comm]` like a kernel thread. */
  args: z.string().default(""),
  /** Resident memory in KiB (`ps -o rss`). */
  rss: z.number().int().nonnegative().default(0),
  /** CPU time over lifetime in tenths of a percent (`ps -o pcpu` prints 12 as `1.2`). */
  cpuPermille: z.number().int().nonnegative().default(0),
  /** The systemd unit whose main process this is: its death stops the unit. */
  unit: z.string().nullable().default(null),
});
export type LabProc = z.infer<typeof LabProc>;

/** A network interface as the kernel lists it (`ip link`); ZeroTier taps come from `LabZerotier`. */
export const LabLink = z.object({
  name: z.string(),
  type: z.enum(["loopback", "ether", "bridge", "bond"]),
  /** The bridge or bond this interface is a port of. */
  master: z.string().nullable(),
  mac: z.string(),
  mtu: z.number().int().positive(),
  /** IPv4/IPv6 addresses in CIDR notation (`10.10.10.1/24`). */
  addrs: z.array(z.string()),
  altnames: z.array(z.string()).default(() => []),
  /** Access VLAN of the switch port behind it: ports in different VLANs exchange no frames. null = untagged. */
  portVlan: z.number().int().nullable().default(null),
  /** `down`: set down by hand (no UP flag); `no-carrier`: UP but the cable or peer port is dead. @default up */
  state: z.enum(["up", "down", "no-carrier"]).optional(),
  /** `ip -s link` RX dropped counter. */
  rxDropped: z.number().int().nonnegative().optional(),
});
export type LabLink = z.infer<typeof LabLink>;

export const LabZerotierNetwork = z.object({
  nwid: z.string().regex(/^[0-9a-f]{16}$/),
  name: z.string(),
  mac: z.string(),
  /** The tap device zerotier-one creates, e.g. `ztly5a3b2c`. */
  dev: z.string(),
  /** A bridge the tap was added to (a classic loop when that bridge is also a ZeroTier path). */
  bridge: z.string().nullable(),
  /** Managed addresses in CIDR notation. */
  ips: z.array(z.string()),
});
export type LabZerotierNetwork = z.infer<typeof LabZerotierNetwork>;

export const LabZerotier = z.object({
  /** 10 hex digits, `zerotier-cli info`. */
  address: z.string().regex(/^[0-9a-f]{10}$/),
  version: z.string(),
  networks: z.array(LabZerotierNetwork),
  /** Set at (re)start: ZeroTier tunnels over a bridge that contains its own tap, and memory grows. */
  looping: z.boolean(),
  /** RSS of a freshly started zerotier-one (KiB). */
  baseRss: z.number().int().positive(),
});
export type LabZerotier = z.infer<typeof LabZerotier>;

/** A snapshot of a ZFS dataset (`zfs list -t snapshot`); received snapshots keep guid and creation. */
export const LabZfsSnapshot = z.object({
  /** The part after `@`. */
  name: z.string(),
  /** 64-bit guid as decimal text; identical on both sides of a replication. */
  guid: z.string().regex(/^\d+$/),
  /** Epoch seconds. */
  creation: z.number().int(),
  /** Bytes only this snapshot holds. */
  used: z.number().int().nonnegative(),
});
export type LabZfsSnapshot = z.infer<typeof LabZfsSnapshot>;

/** A ZFS dataset (a zvol or a filesystem) with its snapshots; sizes in bytes. */
export const LabZfsDataset = z.object({
  /** Full name, `rpool/data/vm-100-disk-0`. */
  name: z.string(),
  type: z.enum(["filesystem", "volume"]),
  guid: z.string().regex(/^\d+$/),
  creation: z.number().int(),
  referenced: z.number().int().nonnegative(),
  /** Volumes only. */
  volsize: z.number().int().positive().nullable(),
  /** Bytes written since the newest snapshot (0 on a replica only `zfs recv` writes to). */
  written: z.number().int().nonnegative(),
  snapshots: z.array(LabZfsSnapshot),
});
export type LabZfsDataset = z.infer<typeof LabZfsDataset>;

export const LabZpool = z.object({
  name: z.string(),
  /** Bytes. */
  size: z.number().int().positive(),
  health: z.enum(["ONLINE", "DEGRADED", "FAULTED", "OFFLINE", "UNAVAIL", "REMOVED"]),
});
export type LabZpool = z.infer<typeof LabZpool>;

export const LabNode = z.object({
  name: z.string(),
  nodeid: z.number().int().positive(),
  /** Only printed (corosync, .members); the lab never contacts it. */
  ip: z.string(),
  /** A down node refuses SSH connections. */
  up: z.boolean(),
  /** The corosync network of this node works (all knet links); false cuts every link at once. */
  clusterLink: z.boolean(),
  /**
   * knet link numbers that are down on this node while `clusterLink` holds (an interface down, UDP
   * dropped): its peers reach it only over the links left.
   */
  downLinks: z.array(z.number().int().min(0).max(7)).default(() => []),
  services: z.record(z.string(), UnitState),
  /** A manual `pmxcfs -l` runs: /etc/pve is mounted and writable for this node only. */
  pmxcfsLocalMode: z.boolean(),
  /** Runtime `pvecm expected N`; corosync forgets it when it restarts. */
  expectedVotesOverride: z.number().int().positive().nullable(),
  /** The corosync.conf text the running corosync loaded (start, `corosync-cfgtool -R`); null = the file. */
  corosyncLoaded: z.string().nullable().default(null),
  /** Node-local files by absolute path (text). /etc/pve lives in `LabState.pve` while pmxcfs is mounted. */
  files: z.record(z.string(), z.string()),
  /** Node-local directories that exist even when empty (parents of files exist implicitly). */
  dirs: z.array(z.string()),
  /** Modes set by `chmod`, by absolute path (octal text such as `600`). */
  modes: z.record(z.string(), z.string()),
  mounts: z.array(LabMount),
  procs: z.array(LabProc),
  /** Epoch seconds when the node booted; process start ticks count from here (USER_HZ = 100). */
  bootTime: z.number().int(),
  /** pmxcfs is deadlocked: every access to /etc/pve on this node blocks until pve-cluster is stopped. */
  pmxcfsHung: z.boolean().default(false),
  links: z.array(LabLink).default(() => []),
  defaultRoute: z.object({ gateway: z.string(), dev: z.string() }).nullable().default(null),
  /** `null` = zerotier-one is not installed. */
  zerotier: LabZerotier.nullable().default(null),
  /** Volumes present on this node's local (non-shared) storages, as volume ids (`local-zfs:vm-100-disk-0`). */
  volumes: z.array(z.string()).default(() => []),
  /** ZFS pools and datasets of this node (empty = no ZFS, `zfs list` prints "no datasets available"). */
  zfs: z
    .object({ pools: z.array(LabZpool), datasets: z.array(LabZfsDataset) })
    .default(() => ({ pools: [], datasets: [] })),
  /** `nft list ruleset` as nft prints it; empty = no tables. */
  nftRuleset: z.string().optional(),
});
export type LabNode = z.infer<typeof LabNode>;

export const GuestRuntime = z.object({
  status: z.enum(["running", "stopped", "paused"]),
  /** The guest's main process (kvm / lxc-start) on its owner node, when running. */
  pid: z.number().int().positive().nullable(),
});
export type GuestRuntime = z.infer<typeof GuestRuntime>;

export const FaultAction = z.enum(["fail", "hang", "drop"]);
export type FaultAction = z.infer<typeof FaultAction>;

export const Fault = z.object({
  id: z.string().min(1),
  /** Only commands on this node; `null` = every node. */
  node: z.string().nullable(),
  /** Substring of the command line that triggers the fault. */
  match: z.string().min(1),
  action: FaultAction,
  /** For `fail`. @default 1 */
  exitCode: z.number().int().optional(),
  /** For `fail`. @default "" */
  stderr: z.string().optional(),
  /** For `drop`: the command ran (and changed the node) before the connection broke. */
  after: z.boolean().optional(),
  /** How many more times it fires; `null` = always. */
  times: z.number().int().positive().nullable(),
});
export type Fault = z.infer<typeof Fault>;

/** The last run of one replication job (`pvesr status` columns), by job id. */
export const ReplicationRun = z.object({
  /** Epoch seconds of the last successful sync; null = never. */
  lastSync: z.number().int().nullable(),
  /** Seconds the last sync took. */
  duration: z.number().nullable(),
  failCount: z.number().int().nonnegative(),
  /** Full error text of the last failed run (may contain newlines); null = OK. */
  error: z.string().nullable(),
});
export type ReplicationRun = z.infer<typeof ReplicationRun>;

/**
 * A corosync-qnetd host: the external vote of a QDevice. Never a cluster node (not in the inventory,
 * no corosync); cluster nodes reach it with `ssh root@<ip>` as `pvecm qdevice setup` does.
 */
export const LabQnetd = z.object({
  name: z.string(),
  ip: z.string(),
  /** A down host answers neither SSH nor qdevice connections. */
  up: z.boolean(),
  /** corosync-qnetd's unit state; null = the package is not installed. */
  service: UnitState.nullable(),
  /** Cluster nodes whose root key the host accepts (`ssh -o BatchMode=yes` works from them). */
  trusts: z.array(z.string()),
  /** Cluster names the qnetd CA signed a certificate for (`corosync-qnetd-certutil -s`). */
  clusters: z.array(z.string()),
});
export type LabQnetd = z.infer<typeof LabQnetd>;

export const LabState = z.object({
  version: z.literal(LAB_STATE_VERSION),
  scenario: z.string(),
  clusterName: z.string(),
  nodes: z.array(LabNode).min(1),
  /** pmxcfs content, shared by all nodes: paths relative to /etc/pve (`nodes/pve1/lxc/100.conf`). */
  pve: z.record(z.string(), z.string()),
  /** pmxcfs directories that exist even when empty (relative to /etc/pve). */
  pveDirs: z.array(z.string()),
  guests: z.record(z.string(), GuestRuntime),
  nfsServers: z.record(z.string(), z.enum(["up", "down"])),
  /** Storage sizes in KiB by storage id; unknown ids get a fixed size. */
  storageUsage: z.record(z.string(), z.object({ total: z.number().int(), used: z.number().int() })),
  faults: z.array(Fault),
  nextFaultId: z.number().int().positive(),
  /** Epoch seconds; advances by one per command so outputs are deterministic. */
  clock: z.number().int(),
  nextPid: z.number().int().positive(),
  /** Bumped on every membership change: ring id sequence and `.members` version. */
  membershipEpoch: z.number().int().positive(),
  replication: z.record(z.string(), ReplicationRun).default(() => ({})),
  /**
   * Jobs `pvesr schedule-now` made due: pvescheduler runs them within a minute; the lab runs them
   * the next time `pvesr status` is read on the guest's node.
   */
  replicationDue: z.array(z.string()).default(() => []),
  /** The qnetd host a QDevice of this cluster may use; absent = none exists. */
  qnetd: LabQnetd.optional(),
});
export type LabState = z.infer<typeof LabState>;
