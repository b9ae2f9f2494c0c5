/** Refusals about HA resources and replication. */

export const haRefusals = {};
