/**
 * Checks Occlum makes too late: at boot, in the LibOS's config parser, with a panic (spec 1.1,
 * 1.7 runtime rules, issues #777 and #1569). We make them at build, with positions:
 * - env is exactly {"default": ["KEY=VALUE", ...], "untrusted": ["NAME", ...]};
 * - entry_points is an array of absolute paths;
 * - process.default_* are size strings;
 * - every mount (layers included) has a known type and an absolute target; sefs has a source and
 *   is not both integrity-protected and temporary; hostfs's source is an existing directory;
 *   a non-root unionfs has two sefs layers; the root unionfs has an image layer and a writable one;
 * - feature.io_uring is at most 16.
 * It also reports the generator's own mount-structure errors (spec 1.7 rules 1-3).
 */
import { statSync } from "node:fs";
import path from "node:path";
import { childPath, closest, type ConfigIssue } from "./errors.ts";
import type { InputConfig, InputMount } from "./input.ts";
import { describeNode, type JsonNode } from "./json.ts";
import { findImageLayer, findRootUnionfs, MOUNT_TYPES } from "./mounts.ts";
import { describeSizeError, parseSize } from "./size.ts";

export interface ValidateOptions {
  /** The instance directory: relative mount sources are resolved against it. Omit to skip host checks. */
  readonly instanceDir?: string;
  /** Whether an absolute host path is an existing directory (injectable for tests). */
  readonly isDirectory?: (absPath: string) => boolean;
}

export interface ValidateResult {
  readonly errors: readonly ConfigIssue[];
  readonly warnings: readonly ConfigIssue[];
}

export const MAX_IO_URING = 16;

function hostIsDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function validate(input: InputConfig, options: ValidateOptions = {}): ValidateResult {
  const errors: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  const err = (p: string, at: { line: number; column: number }, message: string, extra: Partial<ConfigIssue> = {}) =>
    errors.push({ path: p, line: at.line, column: at.column, message, ...extra });
  const warn = (p: string, at: { line: number; column: number }, message: string, extra: Partial<ConfigIssue> = {}) =>
    warnings.push({ path: p, line: at.line, column: at.column, message, ...extra });
  const atBoot = "Occlum accepts this at build time and panics at boot";

  // ---- env ----
  const env = input.env;
  const envNode = env.value;
  if (envNode.kind !== "object") {
    err(env.path, envNode, `${describeNode(envNode)} is not an env object`, {
      expected: '{"default": ["KEY=VALUE", ...], "untrusted": ["NAME", ...]}',
      hint: atBoot,
    });
  } else {
    for (const e of envNode.entries) {
      if (e.key !== "default" && e.key !== "untrusted") {
        const guess = closest(e.key, ["default", "untrusted"]);
        err(childPath(env.path, e.key), e.keyPos, "unknown key in env", {
          expected: '"default" or "untrusted" only',
          hint: guess !== undefined ? `did you mean ${JSON.stringify(guess)}?` : atBoot,
        });
      }
    }
    for (const key of ["default", "untrusted"] as const) {
      const entry = envNode.entries.find((e) => e.key === key);
      const p = childPath(env.path, key);
      if (entry === undefined) {
        err(p, envNode, `missing required field ${JSON.stringify(key)}`, { hint: `add "${key}": [] (${atBoot}, see Occlum issue #777)` });
        continue;
      }
      stringList(entry.value, p, (s, sp, at) => {
        if (key === "default") {
          const eq = s.indexOf("=");
          if (eq <= 0) err(sp, at, `${JSON.stringify(s)} is not KEY=VALUE`, { expected: 'e.g. "OCCLUM=yes"', hint: eq === 0 ? "the name before = is empty" : `did you mean ${JSON.stringify(s + "=")}?` });
        } else if (s === "" || s.includes("=")) {
          err(sp, at, `${JSON.stringify(s)} is not a variable name`, {
            expected: 'a name such as "EXAMPLE" (its value comes from the host at run time)',
            hint: s.includes("=") ? `did you mean ${JSON.stringify(s.slice(0, s.indexOf("=")))}? (put fixed values in env.default)` : undefined,
          });
        }
      });
    }
  }

  // ---- entry_points ----
  const ep = input.entryPoints;
  if (ep.value.kind === "array" && ep.value.items.length === 0) {
    warn(ep.path, ep.value, "no entry points: `occlum run` will refuse every program", { hint: 'add e.g. "/bin"' });
  }
  stringList(ep.value, ep.path, (s, sp, at) => {
    if (!s.startsWith("/")) err(sp, at, `${JSON.stringify(s)} is not an absolute path`, { expected: 'a path starting with "/", e.g. "/bin"', hint: `did you mean ${JSON.stringify("/" + s.replace(/^\.?\/*/, ""))}?` });
  });

  // ---- process.* sizes (parsed by the LibOS at boot) ----
  for (const f of [input.process.defaultStackSize, input.process.defaultHeapSize, input.process.defaultMmapSize]) {
    const r = parseSize(f.value);
    if (!r.ok) err(f.path, f, describeSizeError(f.value, r.error).message, { ...describeSizeError(f.value, r.error) });
  }

  // ---- feature ----
  const io = input.feature.ioUring;
  if (io.value > MAX_IO_URING) err(io.path, io, `${io.value} io_uring instances is too many`, { expected: `0 (off) to ${MAX_IO_URING}`, hint: atBoot });

  // ---- mounts: the generator's structure rules ----
  const mounts = input.mount.value;
  const root = findRootUnionfs(mounts);
  const listAt = input.mount;
  if (root === undefined) {
    err(listAt.path, listAt, 'no root file system: no mount has "target": "/" and "type": "unionfs"', {
      hint: "add the root unionfs of the template (an image sefs layer with \"MAC\": \"\" over a writable sefs layer)",
      occlum: 'Mount configuration invalid: Err("the root UnionFS is not valid")',
    });
  } else if (root.options.layers === undefined) {
    err(childPath(root.path, "options"), root, "the root unionfs has no layers", {
      expected: '"options": {"layers": [image sefs with "MAC": "", writable sefs]}',
      occlum: 'Mount configuration invalid: Err("the root UnionFS must be given layers")',
    });
  } else {
    const layers = root.options.layers;
    const image = findImageLayer(mounts);
    if (image === undefined) {
      const nullMac = layers.value.find((l) => l.target.value === "/" && l.type.value === "sefs");
      err(layers.path, layers, 'no image layer: no layer has "target": "/", "type": "sefs" and an "options.MAC"', {
        hint: nullMac !== undefined ? `give ${nullMac.path} "options": {"MAC": ""} (null counts as absent; the build fills in the real MAC)` : 'add {"target": "/", "type": "sefs", "source": "./build/mount/__ROOT", "options": {"MAC": ""}}',
        occlum: 'Mount configuration invalid: Err("the image SEFS in layers is not valid")',
      });
    } else if (!layers.value.some((l) => l !== image && l.type.value === "sefs" && l.options.mac === undefined)) {
      err(layers.path, layers, "the root unionfs has no writable layer (a sefs layer without MAC)", {
        hint: `add {"target": "/", "type": "sefs", "source": "./run/mount/__ROOT"} (${atBoot})`,
      });
    }
  }

  // ---- mounts: the LibOS's runtime rules, for every mount and layer ----
  const isDir = options.isDirectory ?? hostIsDirectory;
  const check = (m: InputMount, isRoot: boolean) => {
    const type = m.type.value;
    if (!MOUNT_TYPES.includes(type)) {
      const guess = closest(type, MOUNT_TYPES) ?? (MOUNT_TYPES.includes(type.toLowerCase()) ? type.toLowerCase() : undefined);
      err(m.type.path, m.type, `${JSON.stringify(type)} is not a supported file system type`, {
        expected: MOUNT_TYPES.join(", "),
        hint: guess !== undefined ? `did you mean ${JSON.stringify(guess)}?` : atBoot,
      });
    }
    if (!m.target.value.startsWith("/")) {
      err(m.target.path, m.target, `${JSON.stringify(m.target.value)} is not an absolute path`, { expected: 'a path starting with "/"', hint: `did you mean ${JSON.stringify("/" + m.target.value.replace(/^\.?\/*/, ""))}?` });
    }
    if ((type === "sefs" || type === "hostfs") && m.source === undefined) {
      err(childPath(m.path, "source"), m, `a ${type} mount needs a source`, { expected: type === "sefs" ? 'e.g. "./run/mount/data"' : 'a host directory, e.g. "."', hint: atBoot });
    }
    if (type === "sefs" && m.options.mac !== undefined && m.options.temporary?.value === true) {
      const t = m.options.temporary;
      err(t.path, t, "an integrity-protected sefs (with MAC) cannot be temporary", { hint: "remove one of MAC and temporary" });
    }
    if (type === "hostfs" && m.source !== undefined && options.instanceDir !== undefined) {
      const abs = path.resolve(options.instanceDir, m.source.value);
      if (!isDir(abs)) err(m.source.path, m.source, `host directory ${JSON.stringify(abs)} does not exist`, { expected: "an existing directory on the host (relative paths start at the instance directory)", hint: atBoot });
    }
    if (type === "unionfs" && !isRoot) {
      const layers = m.options.layers?.value ?? [];
      if (layers.length < 2 || !layers.slice(0, 2).every((l) => l.type.value === "sefs")) {
        err(childPath(childPath(m.path, "options"), "layers"), m.options.layers ?? m, "a unionfs needs two sefs layers", { expected: "layers[0] = read-only image sefs, layers[1] = writable sefs", hint: atBoot });
      }
    }
    for (const l of m.options.layers?.value ?? []) check(l, false);
  };
  for (const m of mounts) check(m, m === root);

  // ---- mounts: things that work but are likely mistakes ----
  for (const m of mounts) {
    if ((m.target.value === "/proc" && m.type.value === "procfs") || (m.target.value === "/dev" && m.type.value === "devfs")) {
      warn(m.path, m, `${m.target.value} is already mounted by default; this entry mounts it a second time`, { hint: "remove it" });
    }
  }
  const ext2 = mounts.filter((m) => m.type.value === "ext2");
  for (const extra of ext2.slice(1)) warn(extra.path, extra, "only the first ext2 mount is used (as in Occlum); this one is ignored");

  return { errors, warnings };

  function stringList(node: JsonNode, p: string, each: (s: string, sp: string, at: JsonNode) => void): void {
    if (node.kind !== "array") {
      err(p, node, `${describeNode(node)} is not an array of strings`, { expected: "[...] of strings", hint: atBoot });
      return;
    }
    node.items.forEach((item, i) => {
      const ip = childPath(p, i);
      if (item.kind !== "string") err(ip, item, `${describeNode(item)} is not a string`, { expected: "a string", hint: atBoot });
      else each(item.value, ip, item);
    });
  }
}
