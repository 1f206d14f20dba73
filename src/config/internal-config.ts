/**
 * build/.Occlum_sys.json, byte-identical to Occlum's generator (spec 2.6).
 *
 * serde_json's pretty printer: 2-space indent, `"key": value`, `[]`/`{}` when empty, no trailing
 * newline. Struct-typed objects (top level, resource_limits, process, feature) keep declaration
 * order; objects that went through `serde_json::Value` (env, app, every mount and its options)
 * have their keys sorted by byte order. Sizes are written as `"<bytes>B"`. We print with our own
 * serializer rather than JSON.stringify, which would move integer-like keys to the front.
 */
import { findImageLayer } from "./mounts.ts";
import type { InputConfig, InputMount } from "./input.ts";
import type { JsonNode } from "./json.ts";
import type { Resolved } from "./resolve.ts";

/** A JSON value whose object keys are already in output order. */
export type OutValue = string | number | boolean | null | readonly OutValue[] | OutObject;
export interface OutObject {
  readonly entries: readonly (readonly [string, OutValue])[];
}

const obj = (...entries: (readonly [string, OutValue] | undefined)[]): OutObject => ({
  entries: entries.filter((e): e is readonly [string, OutValue] => e !== undefined),
});

/** Byte order of UTF-8 encodings = code point order (unlike JS's UTF-16 `<`). */
export function compareKeys(a: string, b: string): number {
  const x = [...a].map((c) => c.codePointAt(0)!);
  const y = [...b].map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

function sortedObj(entries: (readonly [string, OutValue] | undefined)[]): OutObject {
  const kept = entries.filter((e): e is readonly [string, OutValue] => e !== undefined);
  return { entries: kept.sort((p, q) => compareKeys(p[0], q[0])) };
}

/** A raw Occlum.json value as serde_json::Value re-serializes it: keys sorted at every level. */
export function valueOf(node: JsonNode): OutValue {
  switch (node.kind) {
    case "object":
      return sortedObj(node.entries.map((e) => [e.key, valueOf(e.value)] as const));
    case "array":
      return node.items.map(valueOf);
    case "string":
    case "bool":
      return node.value;
    case "number":
      return Number(node.raw);
    case "null":
      return null;
  }
}

/** serde_json::to_string_pretty. */
export function pretty(v: OutValue, indent = ""): string {
  if (v === null || typeof v === "boolean" || typeof v === "number") return String(v);
  if (typeof v === "string") return JSON.stringify(v);
  const inner = indent + "  ";
  if (Array.isArray(v)) {
    const items = v as readonly OutValue[];
    if (items.length === 0) return "[]";
    return `[\n${items.map((x) => inner + pretty(x, inner)).join(",\n")}\n${indent}]`;
  }
  const entries = (v as OutObject).entries;
  if (entries.length === 0) return "{}";
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${pretty(x, inner)}`).join(",\n")}\n${indent}}`;
}

/** One mount as Occlum's OcclumMount serializes through serde_json::Value. */
function mountValue(m: InputMount, macFor: (m: InputMount) => string | undefined): OutObject {
  const o = m.options;
  const mac = macFor(m) ?? o.mac?.value;
  const temporary = o.temporary?.value === true;
  const options = sortedObj([
    mac !== undefined ? ["MAC", mac] : undefined,
    o.cacheSize !== undefined ? ["cache_size", o.cacheSize.value] : undefined,
    o.diskSize !== undefined ? ["disk_size", o.diskSize.value] : undefined,
    o.layers !== undefined ? ["layers", o.layers.value.map((l) => mountValue(l, macFor))] : undefined,
    temporary ? ["temporary", true] : undefined,
  ]);
  return sortedObj([
    options.entries.length > 0 ? ["options", options] : undefined,
    m.source !== undefined ? ["source", m.source.value] : undefined,
    ["target", m.target.value],
    ["type", m.type.value],
  ]);
}

export interface Macs {
  /** MAC of the user image (build/mount/.ROOT_MAC), e.g. "aa-bb-...". */
  readonly image: string;
  /** MAC of the initfs image (build/initfs/.ROOT_MAC). */
  readonly initfs: string;
}

/**
 * The internal config. Preconditions: the input validated (validate.ts), so the root unionfs and
 * its image layer exist.
 */
export function internalConfigValue(input: InputConfig, resolved: Resolved, macs: Macs): OutObject {
  const imageLayer = findImageLayer(input.mount.value);
  const macFor = (m: InputMount) => (m === imageLayer ? macs.image : undefined);
  const procDev = [obj(["target", "/proc"], ["type", "procfs"]), obj(["target", "/dev"], ["type", "devfs"])];
  const initStage = obj(
    ["entry_points", ["/bin"]],
    [
      "mount",
      [
        obj(
          [
            "options",
            obj([
              "layers",
              [
                obj(["options", obj(["MAC", macs.initfs])], ["source", "./build/initfs/__ROOT"], ["target", "/"], ["type", "sefs"]),
                obj(["source", "./run/initfs/__ROOT"], ["target", "/"], ["type", "sefs"]),
              ],
            ]),
          ],
          ["target", "/"],
          ["type", "unionfs"],
        ),
        ...procDev,
      ],
    ],
    ["stage", "init"],
  );
  const appStage = obj(
    ["entry_points", valueOf(input.entryPoints.value)],
    ["mount", [...procDev, ...input.mount.value.map((m) => mountValue(m, macFor))]],
    ["stage", "app"],
  );
  const p = input.process;
  const f = input.feature;
  return obj(
    [
      "resource_limits",
      obj(
        ["user_space_init_size", `${resolved.userSpaceInit}B`],
        ["user_space_max_size", `${resolved.userSpaceMax}B`],
        // Occlum 1.0's field, only when set: without it the file is master's, byte for byte.
        input.resourceLimits.numOfCpus ? ["num_of_cpus", input.resourceLimits.numOfCpus.value] : undefined,
      ),
    ],
    ["process", obj(["default_stack_size", p.defaultStackSize.value], ["default_heap_size", p.defaultHeapSize.value], ["default_mmap_size", p.defaultMmapSize.value])],
    ["env", valueOf(input.env.value)],
    ["disable_log", resolved.disableLog],
    ["app", [initStage, appStage]],
    [
      "feature",
      obj(["amx", f.amx.value], ["pkru", f.pkru.value], ["io_uring", f.ioUring.value], ["enable_edmm", f.enableEdmm.value], ["enable_posix_shm", f.enablePosixShm.value]),
    ],
  );
}

/** The exact bytes of build/.Occlum_sys.json. */
export function internalConfigJson(input: InputConfig, resolved: Resolved, macs: Macs): string {
  return pretty(internalConfigValue(input, resolved, macs));
}
