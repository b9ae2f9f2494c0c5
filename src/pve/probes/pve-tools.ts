/**
 * PVE's own command-line tools (pct, qm, pvecm, pvesm, pvesr, ha-manager) start a Perl
 * interpreter and load PVE's modules: 0.3–1 s each on a real node. A probe passes these options
 * so such a tool gets a channel of its own and runs beside the other reads, instead of in line
 * with them in a shared batch.
 */
export const PVE_TOOL = { alone: true } as const;
