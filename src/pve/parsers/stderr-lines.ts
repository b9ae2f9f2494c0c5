/**
 * What a PVE tool prints on stderr, recognised inside a `2>&1` paste. Engineers paste tables with
 * their warnings mixed in; a table parser keeps such lines as data (`warnings`) instead of refusing
 * the table. Patterns follow the messages cited in proxmox-facts.md (§5.5 cfs locks, §8.2 pvesm
 * stderr, §1.1 corosync IPC errors) plus Perl's own warning and die shapes.
 */

const STDERR_PATTERNS: RegExp[] = [
  /^(?:WARN(?:ING)?|warning|Warning|NOTE|note)\b/,
  /^(?:error|Error|ERROR)\b/,
  /^storage '[^']*' (?:is not online|does not exist)/,
  /^unable to /,
  /^connection check for storage /,
  /^mount error\b/,
  /^(?:got timeout|command '.*' failed)/,
  /^(?:cfs-lock '|error with cfs lock '|error during cfs-locked '|trying to acquire cfs lock ')/,
  /^ipcc_send_rec\[\d+\] failed/,
  /^Unable to load access control list/,
  /^Cannot initiali[sz]e \w+ service/,
  /^Could not initialize corosync/,
  /^cluster not ready - no quorum\?/,
  /^(?:file )?\/etc\/pve\/\S+ line \d+ /,
  /^Use of uninitialized value /,
  /^[\w./-]+: (?:cannot|can't|failed|No such file|Permission denied)/i,
  / at \/usr\/share\/perl5\/\S+ line \d+\.?$/,
  /^(?:rados_connect|rbd|mount\.nfs|mount\.cifs|showmount|rpcinfo): /,
];

/** True when the line has the shape of something a PVE tool writes to stderr. */
export function isStderrLine(line: string): boolean {
  const text = line.trim();
  return text !== "" && STDERR_PATTERNS.some((pattern) => pattern.test(text));
}
