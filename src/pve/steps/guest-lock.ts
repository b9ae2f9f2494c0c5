/** `pct unlock` / `qm unlock` on the owning node; the undo puts the previous lock back. */
import type { StepInput } from "../../engine/model.js";
import { sh } from "../../shell/quote.js";
import { type GuestRef, guestConfigPath, guestLabel, guestTool } from "../probes/guests.js";

export function unlockGuestStep(guest: GuestRef, previousLock: string, reason: string): StepInput {
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
      {
        name: "guest-unlocked",
        node: guest.node,
        description: `${guestLabel(guest)} has no lock`,
        args: { vmid: guest.vmid, kind: guest.kind },
      },
    ],
  };
}
