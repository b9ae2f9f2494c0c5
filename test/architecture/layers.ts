/**
 * The layers of docs/architecture.md and which way each may import, read from the source files.
 * Pure: it reads files and parses their import specifiers; nothing is run or loaded.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

export type Layer =
  | "errors"
  | "shell"
  | "pve/parsers"
  | "inventory"
  | "transport"
  | "engine"
  | "kit"
  | "pve/probes"
  | "pve/guards"
  | "pve/steps"
  | "pve/findings"
  | "lab"
  | "report"
  | "views"
  | "runbooks"
  | "api"
  | "serve"
  | "cli";

/** Where each layer lives, relative to the repository root (a folder ends with `/`). */
export const LAYER_PATHS: Record<Layer, string> = {
  errors: "src/errors/",
  shell: "src/shell/",
  "pve/parsers": "src/pve/parsers/",
  inventory: "src/inventory/",
  transport: "src/transport/",
  engine: "src/engine/",
  kit: "src/kit/",
  "pve/probes": "src/pve/probes/",
  "pve/guards": "src/pve/guards/",
  "pve/steps": "src/pve/steps/",
  "pve/findings": "src/pve/findings/",
  lab: "src/lab/",
  report: "src/report/",
  views: "src/views/",
  runbooks: "runbooks/",
  api: "src/index.ts",
  serve: "src/serve/",
  cli: "src/cli/",
};

/** Which layers each may import besides itself; the same table is in docs/architecture.md. */
export const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  errors: [],
  shell: ["errors"],
  "pve/parsers": ["errors"],
  inventory: ["errors"],
  transport: ["errors", "shell", "inventory"],
  engine: ["errors", "shell", "transport"],
  kit: ["errors", "shell", "engine", "views"],
  "pve/probes": ["errors", "shell", "pve/parsers", "inventory", "transport", "engine", "kit"],
  "pve/guards": ["errors", "shell", "pve/parsers", "engine", "kit", "pve/probes"],
  "pve/steps": ["errors", "shell", "pve/parsers", "transport", "engine", "kit", "pve/probes", "pve/guards"],
  "pve/findings": ["errors", "shell", "engine", "kit", "pve/probes", "pve/guards"],
  lab: ["errors", "shell", "inventory", "transport"],
  report: ["errors", "shell", "pve/parsers", "transport", "engine"],
  views: ["errors", "shell", "transport", "engine"],
  runbooks: [
    "errors",
    "shell",
    "pve/parsers",
    "engine",
    "kit",
    "pve/probes",
    "pve/guards",
    "pve/steps",
    "pve/findings",
  ],
  api: ["errors", "inventory", "transport", "engine", "pve/probes", "runbooks"],
  serve: ["errors", "engine", "views", "api"],
  cli: [
    "errors",
    "shell",
    "pve/parsers",
    "engine",
    "pve/probes",
    "lab",
    "report",
    "views",
    "runbooks",
    "api",
    "serve",
  ],
};

/** Files a layer must not import even though their layer is allowed: the engine uses transports, never one in particular. */
export const FORBIDDEN: Partial<Record<Layer, readonly string[]>> = {
  engine: ["src/transport/ssh/", "src/transport/local.ts"],
};

export function layerOf(file: string): Layer | undefined {
  const rel = path.relative(ROOT, file).split(path.sep).join("/");
  // Most specific path first: src/pve/parsers/ before any shorter prefix.
  const entries = (Object.entries(LAYER_PATHS) as Array<[Layer, string]>).sort(
    (a, b) => b[1].length - a[1].length,
  );
  return entries.find(([, prefix]) => (prefix.endsWith("/") ? rel.startsWith(prefix) : rel === prefix))?.[0];
}

export interface Import {
  /** The importing file, relative to the root. */
  from: string;
  /** The specifier as written. */
  specifier: string;
  /** The imported file, relative to the root (`.js` specifiers name their `.ts` source). */
  target: string;
  /** `import("…")`: evaluated only when that code runs. */
  dynamic: boolean;
  /** `import type` / `export type`: erased when compiled, so it loads nothing (it still couples the layers). */
  typeOnly: boolean;
}

/** Comments may quote imports (`@example`); strings such as "ssh://" must survive. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

/** The relative imports of one file: static (`import`/`export … from`, side-effect `import "…"`) and dynamic. */
export function importsOf(file: string): Import[] {
  const text = withoutComments(fs.readFileSync(file, "utf8"));
  const found: Array<{ specifier: string; dynamic: boolean; typeOnly: boolean }> = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\b(\s+type\b)?[^;]*?\bfrom\s*["']([^"']+)["']/gm)) {
    found.push({ specifier: m[2] as string, dynamic: false, typeOnly: m[1] !== undefined });
  }
  for (const m of text.matchAll(/^\s*import\s*["']([^"']+)["']/gm)) {
    found.push({ specifier: m[1] as string, dynamic: false, typeOnly: false });
  }
  for (const m of text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) {
    found.push({ specifier: m[1] as string, dynamic: true, typeOnly: false });
  }
  return found
    .filter((i) => i.specifier.startsWith("."))
    .map((i) => {
      const resolved = path.resolve(path.dirname(file), i.specifier).replace(/\.js$/, ".ts");
      return {
        from: path.relative(ROOT, file).split(path.sep).join("/"),
        specifier: i.specifier,
        target: path.relative(ROOT, resolved).split(path.sep).join("/"),
        dynamic: i.dynamic,
        typeOnly: i.typeOnly,
      };
    });
}

export function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts") ? [full] : [];
  });
}

/** Every import that goes the wrong way, as a sentence naming the file, the import and the rule. */
export function violations(files: readonly string[]): string[] {
  const out: string[] = [];
  for (const file of files) {
    const from = layerOf(file);
    if (from === undefined) {
      out.push(`${path.relative(ROOT, file)} is in no layer: add it to LAYER_PATHS and docs/architecture.md`);
      continue;
    }
    for (const imp of importsOf(file)) {
      const to = layerOf(path.join(ROOT, imp.target));
      const forbidden = FORBIDDEN[from]?.find((p) =>
        p.endsWith("/") ? imp.target.startsWith(p) : imp.target === p,
      );
      if (forbidden) {
        out.push(`${imp.from} imports "${imp.specifier}": ${from} must not import ${forbidden}`);
      } else if (to === undefined) {
        out.push(`${imp.from} imports "${imp.specifier}", which is in no layer`);
      } else if (to !== from && !MAY_IMPORT[from].includes(to)) {
        out.push(
          `${imp.from} imports "${imp.specifier}": ${from} may not import ${to} (it may import ${MAY_IMPORT[from].join(", ") || "nothing"})`,
        );
      }
    }
  }
  return out;
}

/** Files loaded when `from` is loaded (static imports that are not type-only), each with the file that first imports it. */
export function staticClosure(from: string): Map<string, string | null> {
  const seen = new Map<string, string | null>();
  const visit = (rel: string, by: string | null) => {
    if (seen.has(rel) || !fs.existsSync(path.join(ROOT, rel))) return;
    seen.set(rel, by);
    for (const imp of importsOf(path.join(ROOT, rel)))
      if (!imp.dynamic && !imp.typeOnly) visit(imp.target, rel);
  };
  visit(from, null);
  return seen;
}
