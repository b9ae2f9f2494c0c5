/** Refusals about storages and their mounts. */

export const storageRefusals = {};
