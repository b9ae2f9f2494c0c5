/** Which storage volumes a guest's main config section refers to (disks, mount points, unused). */
import { z } from "zod";
import { ParseError } from "./format.js";

export const GuestVolume = z.object({
  key: z.string(),
  storage: z.string(),
  volume: z.string(),
  /** `cdrom` for ISO images attached to an IDE/SATA/SCSI slot. */
  media: z.string().optional(),
});
export type GuestVolume = z.infer<typeof GuestVolume>;

const DISK_KEY = /^(rootfs|mp\d+|scsi\d+|virtio\d+|sata\d+|ide\d+|efidisk0|tpmstate0|unused\d+)$/;
const VOLUME_ID = /^([A-Za-z][A-Za-z0-9._-]*):(.+)$/;

/**
 * List `storage:volume` references of the disk keys in `main` (rootfs, mpN, scsiN, virtioN, sataN,
 * ideN, efidisk0, tpmstate0, unusedN). Skipped, because they live on no PVE storage: `none`, a
 * physical `cdrom`, bind mounts (`/srv/x,mp=/x`) and pass-through devices (`/dev/...`).
 */
export function guestVolumes(main: Readonly<Record<string, string>>): GuestVolume[] {
  const volumes: GuestVolume[] = [];
  for (const [key, value] of Object.entries(main)) {
    if (!DISK_KEY.test(key)) continue;
    const parts = value.split(",");
    // Property strings may name the volume explicitly (`volume=...`, `file=...`) anywhere in the list.
    const named = parts.find((part) => /^(volume|file)=/.test(part));
    const target = named
      ? named.slice(named.indexOf("=") + 1)
      : (parts.find((part) => !part.includes("=")) ?? "");
    if (target === "none" || target === "cdrom" || target.startsWith("/")) continue;
    const id = VOLUME_ID.exec(target);
    if (!id) throw new ParseError("guest-config", `cannot read the volume of '${key}': '${value}'`);
    const volume: GuestVolume = { key, storage: id[1] as string, volume: id[2] as string };
    const media = parts.find((part) => part.startsWith("media="));
    if (media !== undefined) volume.media = media.slice("media=".length);
    volumes.push(volume);
  }
  return volumes;
}
