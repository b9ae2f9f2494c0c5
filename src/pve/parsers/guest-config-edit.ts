/**
 * Text-level edit of one key in a guest config's main section, placed the way
 * `write_vm_config` / `write_pct_config` would place it, so every other byte stays as it was.
 */

const SECTION = /^\[[^\]]+\]\s*$/;
const KEY_LINE = /^([a-z][a-z0-9_-]*):/;

function keyOf(line: string): string | undefined {
  return KEY_LINE.exec(line)?.[1];
}

/**
 * Insert, replace (`value` given) or remove (`value === null`) `key` in the main section of a
 * guest config. PVE writes the description comments first, then keys sorted by name, then raw
 * `lxc.*` lines; a new key goes before the first sorted key that is greater than it. Sections
 * after the main one (`[PENDING]`, snapshots) are never touched, so a `lock:` inside a snapshot
 * is left alone. Removing then re-adding `lock: backup` gives back a PVE-written file unchanged.
 *
 * @example setMainKey("cores: 2\nmemory: 2048\n", "lock", "backup") // "cores: 2\nlock: backup\nmemory: 2048\n"
 */
export function setMainKey(text: string, key: string, value: string | null): string {
  if (!/^[a-z][a-z0-9_-]*$/.test(key)) {
    throw new RangeError(`Expected \`key\` to be a config key such as \`lock\`, got \`${key}\``);
  }
  if (value !== null && (value.trim() === "" || /[\r\n]/.test(value) || value !== value.trim())) {
    throw new RangeError(`Expected the value of \`${key}\` to be one non-empty line without outer spaces`);
  }
  const lines = text.split("\n");
  const firstSection = lines.findIndex((line) => SECTION.test(line));
  const main = firstSection === -1 ? lines.length : firstSection;

  const existing: number[] = [];
  for (let i = 0; i < main; i++) if (keyOf(lines[i] as string) === key) existing.push(i);
  const newLine = value === null ? [] : [`${key}: ${value}`];

  if (existing.length > 0) {
    const [first, ...duplicates] = existing as [number, ...number[]];
    // A duplicated key is an edit by hand; PVE would keep the last value and write it once.
    for (const i of duplicates.reverse()) lines.splice(i, 1);
    lines.splice(first, 1, ...newLine);
    return lines.join("\n");
  }
  if (value === null) return text;

  let insertAt = -1;
  let afterLastKey = -1;
  let afterComments = 0;
  for (let i = 0; i < main; i++) {
    const line = lines[i] as string;
    const lineKey = keyOf(line);
    if (line.startsWith("#") && afterLastKey === -1) afterComments = i + 1;
    if (lineKey === undefined) continue;
    afterLastKey = i + 1;
    if (lineKey > key) {
      insertAt = i;
      break;
    }
  }
  if (insertAt === -1) insertAt = afterLastKey !== -1 ? afterLastKey : afterComments;
  lines.splice(insertAt, 0, ...newLine);
  return lines.join("\n");
}
