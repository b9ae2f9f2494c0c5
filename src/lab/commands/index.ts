/** The command registry: every command the lab understands, by name. Anything else is `not found` (exit 127). */
import { corosyncCommands } from "./corosync.js";
import { fileReadCommands } from "./file-read.js";
import { fileWriteCommands } from "./file-write.js";
import { guestCommands } from "./guests.js";
import { haCommands } from "./ha.js";
import { linkCommands } from "./links.js";
import { miscCommands } from "./misc.js";
import { networkCommands } from "./network.js";
import { pingCommands } from "./ping.js";
import { processCommands } from "./processes.js";
import { qdeviceCommands } from "./qdevice.js";
import { replicationCommands } from "./replication.js";
import { serviceCommands } from "./services.js";
import { storageCommands } from "./storage.js";
import { textCommands } from "./text.js";
import type { CommandHandler } from "./types.js";
import { zfsCommands } from "./zfs.js";

export const commands: Readonly<Record<string, CommandHandler>> = Object.freeze({
  ...fileReadCommands,
  ...fileWriteCommands,
  ...textCommands,
  ...miscCommands,
  ...corosyncCommands,
  ...guestCommands,
  ...storageCommands,
  ...serviceCommands,
  ...haCommands,
  ...replicationCommands,
  ...processCommands,
  ...networkCommands,
  ...pingCommands,
  ...zfsCommands,
  ...linkCommands,
  ...qdeviceCommands,
});
