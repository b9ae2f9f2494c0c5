/** Refusals about ZeroTier. */

export const zerotierRefusals = {};
