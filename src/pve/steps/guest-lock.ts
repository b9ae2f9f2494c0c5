/** `pct unlock` / `qm unlock` on the owning node; the undo puts the previous lock back. */
import { z } from "zod";
import { defineCheck } from "../../kit/check.js";
import { defineStep } from "../../kit/step.js";
import { sh } from "../../shell/quote.js";
import {
  GuestKind,
  GuestRef,
  guestConfigPath,
  guestLabel,
  guestTool,
  readGuestConfig,
} from "../probes/guests.js";

/** The guest's config has no `lock:` in its main section any more. */
export const guestUnlocked = defineCheck(
  "guest-unlocked",
  z.object({ vmid: z.number().int(), kind: GuestKind }),
  async (ctx, node, { vmid, kind }) => {
    const config = await readGuestConfig(ctx, GuestRef.parse({ vmid, kind, node }));
    return config?.lock
      ? { ok: false, detail: `still locked (${config.lock})` }
      : { ok: true, detail: "no lock in the main section" };
  },
);

export const unlockGuestStep = defineStep(
  {
    changes: [
      "`pct unlock <id>` or `qm unlock <id>` on the owning node (rewrites the guest config without `lock:`)",
    ],
    undoes: [
      "`pct set <id> --lock <previous>` / `qm set <id> --lock <previous>` puts the previous lock back",
    ],
    checks: [guestUnlocked],
  },
  (guest: GuestRef, previousLock: string, reason: string) => {
    const tool = guestTool(guest.kind);
    return {
      id: `unlock-${guest.vmid}`,
      title: `Remove lock '${previousLock}' from ${guestLabel(guest)}`,
      node: guest.node,
      risk: "safe",
      reason,
      actions: [{ kind: "exec", command: sh`${tool} unlock ${guest.vmid}`, timeoutMs: 30_000 }],
      undo: {
        kind: "actions",
        description: `put \`lock: ${previousLock}\` back with \`${tool} set --lock\``,
        actions: [
          {
            kind: "exec",
            command: sh`${tool} set ${guest.vmid} --lock ${previousLock}`,
            timeoutMs: 30_000,
            // After a lost connection the unlock may never have run; setting a lock that is already
            // there fails ("CT is locked"), so check first.
            skipIf: sh`${tool} config ${guest.vmid} | grep -q ${`^lock: ${previousLock}$`}`,
          },
        ],
      },
      files: [guestConfigPath(guest)],
      verify: [
        guestUnlocked.at(guest.node, `${guestLabel(guest)} has no lock`, {
          vmid: guest.vmid,
          kind: guest.kind,
        }),
      ],
    };
  },
);
