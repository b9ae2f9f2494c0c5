/**
 * Inventory: which nodes make up the cluster and how to reach them.
 * Loaded from YAML (`-i FILE`) or discovered from one reachable node.
 */
import { z } from "zod";

export const NodeName = z
  .string()
  .regex(/^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/, "a node name: letters, digits and inner hyphens");

/**
 * Host, user and jump reach ssh's command line and its ProxyCommand: shell metacharacters there
 * (`;`, `$(…)`, spaces, quotes) are refused rather than passed on.
 */
const HostName = z
  .string()
  .min(1)
  .regex(
    /^[A-Za-z0-9._%:[\]-]+$/,
    "a host name, IP address or ~/.ssh/config alias: letters, digits and . _ - : % [ ] only",
  );
const UserName = z
  .string()
  .min(1)
  // `@` for directory accounts such as `ops@corp.example`.
  .regex(/^[A-Za-z0-9._][A-Za-z0-9._@-]*$/, "a user name: letters, digits and . _ - @ only");
const JumpHost = z
  .string()
  .min(1)
  .regex(
    /^[A-Za-z0-9._%:@[\],-]+$/,
    "a jump host ([user@]host[:port], comma-separated): letters, digits and . _ - : @ % [ ] , only",
  );

export const InventoryNode = z.object({
  name: NodeName,
  /** Address or ~/.ssh/config alias. @default name */
  host: HostName.optional(),
  port: z.number().int().min(1).max(65535).optional(),
  user: UserName.optional(),
  /** Private key file. When absent: ssh-agent, then ~/.ssh/config IdentityFile, then ~/.ssh/id_ed25519|id_rsa. */
  identity: z.string().min(1).optional(),
  /** ProxyJump: another node's name or `[user@]host[:port]`. */
  jump: JumpHost.optional(),
  /**
   * The name the node's host key is looked up under in known_hosts, whatever address or port it
   * is reached at (OpenSSH `HostKeyAlias`). Proxmox VE pins every node's key by its node name
   * (`ssh -o HostKeyAlias=<node>`), so an inventory found on a PVE node sets it to the name.
   */
  hostKeyAlias: HostName.optional(),
  /**
   * Send the read-only probes of one node that are ready at the same moment as one POSIX sh
   * script on one channel. Turn off for a login shell that is not POSIX sh, a forced command,
   * or when every probe must appear as its own command in the node's logs. @default true
   */
  batchReads: z.boolean().optional(),
  /**
   * Seconds to wait for TCP, the SSH handshake and login before the node is named unreachable.
   * Not retried: a node that refuses or has no route is named at once, one that does not answer
   * after this long. Raise it for a slow link or jump host. @default 4
   */
  connectTimeout: z
    .number()
    .positive("a number of seconds greater than 0")
    .max(300, "at most 300 seconds")
    .optional(),
});
export type InventoryNode = z.infer<typeof InventoryNode>;

/** What `defaults` may set: every node field but the ones that name one node. */
export const NodeDefaults = InventoryNode.omit({ name: true, hostKeyAlias: true }).partial();
export type NodeDefaults = z.infer<typeof NodeDefaults>;

export const Inventory = z
  .object({
    cluster: z.string().min(1),
    defaults: NodeDefaults.default({}),
    /** known_hosts file used for host-key verification. @default ~/.ssh/known_hosts */
    knownHosts: z.string().min(1).optional(),
    nodes: z.array(InventoryNode).min(1),
  })
  .superRefine((inv, ctx) => {
    const seen = new Set<string>();
    inv.nodes.forEach((node, i) => {
      if (seen.has(node.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["nodes", i, "name"],
          message: `duplicate node name '${node.name}'`,
        });
      }
      seen.add(node.name);
    });
  });
export type Inventory = z.infer<typeof Inventory>;
