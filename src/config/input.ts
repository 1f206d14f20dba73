/**
 * Occlum.json -> InputConfig: the typed, position-carrying view of the user's file (spec 1.2-1.7).
 *
 * This is the serde layer of Occlum's generator: required fields, JSON types, `null` meaning
 * "absent" only where Occlum's field is an Option, unknown keys ignored (as Occlum does) with a
 * warning when a key looks like a misspelling of a known one. Nothing is interpreted here: size
 * strings stay strings (resolve.ts parses them), env and entry_points stay raw JSON (validate.ts
 * checks their shape). Every problem is collected; none stops the pass.
 */
import { childPath, closest, type ConfigIssue } from "./errors.ts";
import { describeNode, type JsonEntry, type JsonNode, type JsonPos } from "./json.ts";

/** A value read from Occlum.json, with where it was. */
export interface Field<T> {
  readonly value: T;
  readonly path: string;
  readonly line: number;
  readonly column: number;
}

export interface InputResourceLimits {
  readonly kernelSpaceStackSize: Field<string>;
  readonly kernelSpaceHeapSize: Field<string>;
  readonly kernelSpaceHeapMaxSize: Field<string> | undefined;
  readonly userSpaceSize: Field<string>;
  readonly userSpaceMaxSize: Field<string> | undefined;
  readonly maxNumOfThreads: Field<number>;
  readonly initNumOfThreads: Field<number> | undefined;
  /** Occlum 1.0's vCPU count (its `1.0` branch; not in master): the LibOS's vCPUs. */
  readonly numOfCpus: Field<number> | undefined;
}

export interface InputProcess {
  readonly defaultStackSize: Field<string>;
  readonly defaultHeapSize: Field<string>;
  readonly defaultMmapSize: Field<string>;
}

export interface InputMetaId {
  readonly high: Field<string>;
  readonly low: Field<string>;
}

export interface InputMetadata {
  readonly productId: Field<number>;
  readonly versionNumber: Field<number>;
  readonly debuggable: Field<boolean>;
  readonly disableLog: Field<boolean> | undefined;
  readonly enableKss: Field<boolean>;
  readonly familyId: InputMetaId;
  readonly extProdId: InputMetaId;
}

export interface InputFeature {
  readonly amx: Field<number>;
  readonly pkru: Field<number>;
  readonly ioUring: Field<number>;
  readonly enableEdmm: Field<boolean>;
  readonly enablePosixShm: Field<boolean>;
}

export interface InputMountOptions {
  readonly mac: Field<string> | undefined;
  readonly layers: Field<readonly InputMount[]> | undefined;
  readonly temporary: Field<boolean> | undefined;
  readonly cacheSize: Field<string> | undefined;
  readonly diskSize: Field<string> | undefined;
}

export interface InputMount {
  readonly path: string;
  readonly line: number;
  readonly column: number;
  readonly type: Field<string>;
  readonly target: Field<string>;
  readonly source: Field<string> | undefined;
  readonly options: InputMountOptions;
}

export interface InputConfig {
  readonly resourceLimits: InputResourceLimits;
  readonly process: InputProcess;
  /** Raw JSON: Occlum copies it verbatim; validate.ts checks it is an array of absolute paths. */
  readonly entryPoints: Field<JsonNode>;
  /** Raw JSON: Occlum copies it verbatim; validate.ts checks its `default`/`untrusted` shape. */
  readonly env: Field<JsonNode>;
  readonly metadata: InputMetadata;
  readonly feature: InputFeature;
  readonly mount: Field<readonly InputMount[]>;
}

export interface InputResult {
  /** Present only when there are no errors. */
  readonly input: InputConfig | undefined;
  readonly errors: readonly ConfigIssue[];
  readonly warnings: readonly ConfigIssue[];
}

const U32_MAX = 4294967295n;

/** Keys Occlum knows in each object, for typo warnings. `marshal_buffer_size` exists only in HYPER builds. */
const KNOWN = {
  top: ["resource_limits", "process", "entry_points", "env", "metadata", "feature", "mount"],
  resource_limits: [
    "kernel_space_stack_size",
    "kernel_space_heap_size",
    "kernel_space_heap_max_size",
    "user_space_size",
    "user_space_max_size",
    "max_num_of_threads",
    "init_num_of_threads",
    "num_of_cpus",
    "marshal_buffer_size",
  ],
  process: ["default_stack_size", "default_heap_size", "default_mmap_size"],
  metadata: ["product_id", "version_number", "debuggable", "disable_log", "enable_kss", "family_id", "ext_prod_id"],
  id: ["high", "low"],
  feature: ["amx", "pkru", "io_uring", "enable_edmm", "enable_posix_shm"],
  mount: ["type", "target", "source", "options"],
  options: ["MAC", "layers", "temporary", "cache_size", "disk_size"],
} as const;

/** Keys that moved in Occlum's history: where they live now. */
const MOVED: Record<string, string> = {
  "metadata.pkru": "feature.pkru",
  vm: "resource_limits (user_space_size)",
};

export function readInput(root: JsonNode): InputResult {
  const r = new Reader();
  const input = r.config(root);
  r.flushWarnings();
  return { input: r.errors.length === 0 ? input : undefined, errors: r.errors, warnings: r.warnings };
}

type Obj = Extract<JsonNode, { kind: "object" }>;

class Reader {
  readonly errors: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];

  private error(path: string, at: JsonPos, message: string, extra: Partial<ConfigIssue> = {}): undefined {
    this.errors.push({ path, line: at.line, column: at.column, message, ...extra });
    return undefined;
  }

  config(root: JsonNode): InputConfig | undefined {
    const o = this.object(root, "");
    if (o === undefined) return undefined;
    const g = this.members(o, "", KNOWN.top);
    // `as` casts below are safe: with any undefined field an error was recorded and the result is dropped.
    return {
      resourceLimits: this.resourceLimits(g.required("resource_limits")) as InputResourceLimits,
      process: this.process(g.required("process")) as InputProcess,
      entryPoints: g.requiredRaw("entry_points") as Field<JsonNode>,
      env: g.requiredRaw("env") as Field<JsonNode>,
      metadata: this.metadata(g.required("metadata")) as InputMetadata,
      feature: this.feature(g.required("feature", 'add "feature": {} (required since Occlum 0.30.1; every member is optional)')) as InputFeature,
      mount: this.mountList(g.required("mount")) as Field<readonly InputMount[]>,
    };
  }

  private resourceLimits(f: Field<JsonNode> | undefined): InputResourceLimits | undefined {
    const o = f && this.object(f.value, f.path);
    if (o === undefined || f === undefined) return undefined;
    const g = this.members(o, f.path, KNOWN.resource_limits);
    return {
      kernelSpaceStackSize: this.string(g.required("kernel_space_stack_size")) as Field<string>,
      kernelSpaceHeapSize: this.string(g.required("kernel_space_heap_size")) as Field<string>,
      kernelSpaceHeapMaxSize: this.string(g.optional("kernel_space_heap_max_size")),
      userSpaceSize: this.string(g.required("user_space_size")) as Field<string>,
      userSpaceMaxSize: this.string(g.optional("user_space_max_size")),
      maxNumOfThreads: this.u32(g.required("max_num_of_threads")) as Field<number>,
      initNumOfThreads: this.u32(g.optional("init_num_of_threads")),
      numOfCpus: this.u32(g.optional("num_of_cpus")),
    };
  }

  private process(f: Field<JsonNode> | undefined): InputProcess | undefined {
    const o = f && this.object(f.value, f.path);
    if (o === undefined || f === undefined) return undefined;
    const g = this.members(o, f.path, KNOWN.process);
    return {
      defaultStackSize: this.string(g.required("default_stack_size")) as Field<string>,
      defaultHeapSize: this.string(g.required("default_heap_size")) as Field<string>,
      defaultMmapSize: this.string(g.required("default_mmap_size", 'add "default_mmap_size": "100MB" (unused, but Occlum requires it)')) as Field<string>,
    };
  }

  private metadata(f: Field<JsonNode> | undefined): InputMetadata | undefined {
    const o = f && this.object(f.value, f.path);
    if (o === undefined || f === undefined) return undefined;
    const g = this.members(o, f.path, KNOWN.metadata);
    const idHint = (k: string) => `add "${k}": {"high": "0x0", "low": "0x0"} (required even when enable_kss is false)`;
    return {
      productId: this.u32(g.required("product_id")) as Field<number>,
      versionNumber: this.u32(g.required("version_number")) as Field<number>,
      debuggable: this.bool(g.required("debuggable")) as Field<boolean>,
      disableLog: this.bool(g.optional("disable_log")),
      enableKss: this.bool(g.required("enable_kss", 'add "enable_kss": false')) as Field<boolean>,
      familyId: this.metaId(g.required("family_id", idHint("family_id"))) as InputMetaId,
      extProdId: this.metaId(g.required("ext_prod_id", idHint("ext_prod_id"))) as InputMetaId,
    };
  }

  private metaId(f: Field<JsonNode> | undefined): InputMetaId | undefined {
    const o = f && this.object(f.value, f.path);
    if (o === undefined || f === undefined) return undefined;
    const g = this.members(o, f.path, KNOWN.id);
    return { high: this.string(g.required("high")) as Field<string>, low: this.string(g.required("low")) as Field<string> };
  }

  private feature(f: Field<JsonNode> | undefined): InputFeature | undefined {
    const o = f && this.object(f.value, f.path);
    if (o === undefined || f === undefined) return undefined;
    const g = this.members(o, f.path, KNOWN.feature);
    // serde(default): absent -> default, but null is a type error (not an Option).
    const dflt = <T>(k: string, v: T): Field<T> => ({ value: v, path: childPath(f.path, k), line: 0, column: 0 });
    const num = (k: string) => (g.has(k) ? this.u32(g.present(k)) : dflt(k, 0));
    const flag = (k: string) => (g.has(k) ? this.bool(g.present(k)) : dflt(k, false));
    return {
      amx: num("amx") as Field<number>,
      pkru: num("pkru") as Field<number>,
      ioUring: num("io_uring") as Field<number>,
      enableEdmm: flag("enable_edmm") as Field<boolean>,
      enablePosixShm: flag("enable_posix_shm") as Field<boolean>,
    };
  }

  private mountList(f: Field<JsonNode> | undefined): Field<readonly InputMount[]> | undefined {
    if (f === undefined) return undefined;
    if (f.value.kind !== "array") {
      return this.error(f.path, f, `${describeNode(f.value)} is not a list of mounts`, {
        expected: "an array of mount objects",
        occlum: `invalid type: ${serdeType(f.value)}, expected a sequence`,
      });
    }
    const mounts = f.value.items.map((item, i) => this.mount(item, childPath(f.path, i)));
    return { ...f, value: mounts as InputMount[] };
  }

  private mount(node: JsonNode, path: string): InputMount | undefined {
    const o = this.object(node, path);
    if (o === undefined) return undefined;
    const g = this.members(o, path, KNOWN.mount);
    const type = this.string(g.required("type"));
    const target = this.string(g.required("target"));
    const source = this.string(g.optional("source"));
    let options: InputMountOptions = { mac: undefined, layers: undefined, temporary: undefined, cacheSize: undefined, diskSize: undefined };
    if (g.has("options")) {
      const of = g.present("options");
      const oo = this.object(of.value, of.path);
      if (oo !== undefined) {
        const og = this.members(oo, of.path, KNOWN.options);
        options = {
          mac: this.string(og.optional("MAC")),
          layers: this.mountList(og.optional("layers")),
          temporary: og.has("temporary") ? this.bool(og.present("temporary")) : undefined,
          cacheSize: this.string(og.optional("cache_size")),
          diskSize: this.string(og.optional("disk_size")),
        };
      }
    }
    return { path, line: node.line, column: node.column, type: type!, target: target!, source, options };
  }

  // ---- typed leaves ----

  private object(node: JsonNode, path: string): Obj | undefined {
    if (node.kind === "object") return node;
    return this.error(path || "(top level)", node, `${describeNode(node)} is not an object`, {
      expected: "a JSON object { ... }",
      occlum: `invalid type: ${serdeType(node)}, expected a struct`,
    });
  }

  private string(f: Field<JsonNode> | undefined): Field<string> | undefined {
    if (f === undefined) return undefined;
    const n = f.value;
    if (n.kind === "string") return { ...f, value: n.value };
    const hint = n.kind === "number" ? `write it as a string, e.g. "${n.raw}MB"` : undefined;
    return this.error(f.path, n, `${describeNode(n)} is not a string`, {
      expected: "a string",
      hint,
      occlum: `invalid type: ${serdeType(n)}, expected a string`,
    });
  }

  private u32(f: Field<JsonNode> | undefined): Field<number> | undefined {
    if (f === undefined) return undefined;
    const n = f.value;
    const expected = "an integer from 0 to 4294967295";
    if (n.kind === "number" && /^[0-9]+$/.test(n.raw)) {
      const v = BigInt(n.raw);
      if (v <= U32_MAX) return { ...f, value: Number(v) };
      return this.error(f.path, n, `${n.raw} is too large`, { expected, occlum: `invalid value: integer \`${n.raw}\`, expected u32` });
    }
    if (n.kind === "number" && n.raw.startsWith("-") && /^-[0-9]+$/.test(n.raw) && n.raw !== "-0") {
      return this.error(f.path, n, `${n.raw} is negative`, { expected, occlum: `invalid value: integer \`${n.raw}\`, expected u32` });
    }
    let hint: string | undefined;
    if (n.kind === "number") {
      const v = Number(n.raw);
      if (Number.isInteger(v) && v >= 0 && v <= 4294967295) hint = `did you mean ${v}?`;
    } else if (n.kind === "string" && /^\s*[0-9]+\s*$/.test(n.value) && BigInt(n.value.trim()) <= U32_MAX) {
      hint = `did you mean ${BigInt(n.value.trim())} (without quotes)?`;
    }
    const what = n.kind === "number" ? `${n.raw} is not an integer` : `${describeNode(n)} is not an integer`;
    return this.error(f.path, n, what, { expected, hint, occlum: `invalid type: ${serdeType(n)}, expected u32` });
  }

  private bool(f: Field<JsonNode> | undefined): Field<boolean> | undefined {
    if (f === undefined) return undefined;
    const n = f.value;
    if (n.kind === "bool") return { ...f, value: n.value };
    let hint: string | undefined;
    if (n.kind === "string" && /^(true|false)$/i.test(n.value.trim())) hint = `did you mean ${n.value.trim().toLowerCase()} (without quotes)?`;
    if (n.kind === "number" && (n.raw === "0" || n.raw === "1")) hint = `did you mean ${n.raw === "1"}?`;
    return this.error(f.path, n, `${describeNode(n)} is not a boolean`, {
      expected: "true or false",
      hint,
      occlum: `invalid type: ${serdeType(n)}, expected a boolean`,
    });
  }

  // ---- object members ----

  private members(o: Obj, path: string, known: readonly string[]): Members {
    const byKey = new Map<string, JsonEntry>(o.entries.map((e) => [e.key, e]));
    const knownSet = new Set(known);
    const unknown = o.entries.filter((e) => !knownSet.has(e.key));
    const claimed = new Set<string>();
    const field = (key: string): Field<JsonNode> => {
      const e = byKey.get(key)!;
      return { value: e.value, path: childPath(path, key), line: e.value.line, column: e.value.column };
    };
    const members: Members = {
      has: (key) => byKey.has(key),
      present: field,
      optional: (key) => (byKey.has(key) && byKey.get(key)!.value.kind !== "null" ? field(key) : undefined),
      requiredRaw: (key, hint) => {
        if (byKey.has(key)) return field(key);
        const typo = unknown.find((e) => closest(e.key, [key]) === key);
        if (typo !== undefined) claimed.add(typo.key);
        const typoHint =
          typo !== undefined ? `found ${JSON.stringify(typo.key)} at line ${typo.keyPos.line}, column ${typo.keyPos.column}; did you mean ${JSON.stringify(key)}?` : hint;
        return this.error(childPath(path, key), o, `missing required field ${JSON.stringify(key)}`, {
          hint: typoHint,
          occlum: `missing field \`${key}\``,
        });
      },
      required: (key, hint) => {
        const f = members.requiredRaw(key, hint);
        if (f !== undefined && f.value.kind === "null") {
          return this.error(f.path, f.value, "null is not allowed here", { hint: "give it a value (this field is required)", occlum: `invalid type: null` });
        }
        return f;
      },
    };
    // Unknown keys are ignored as Occlum does; warn only where a mistake is likely. Deferred so
    // that keys already explained by a "missing required field" error are not reported twice.
    this.pendingUnknown.push(() => {
      for (const e of unknown) {
        if (claimed.has(e.key)) continue;
        const keyPath = childPath(path, e.key);
        const moved = MOVED[keyPath];
        const guess = closest(e.key, known);
        if (moved === undefined && guess === undefined) continue;
        this.warnings.push({
          path: keyPath,
          line: e.keyPos.line,
          column: e.keyPos.column,
          message: "unknown key, ignored (as Occlum does)",
          hint: moved !== undefined ? `it now belongs in ${moved}` : `did you mean ${JSON.stringify(guess)}?`,
        });
      }
    });
    return members;
  }

  private readonly pendingUnknown: (() => void)[] = [];

  /** Emits the deferred unknown-key warnings; called once the whole document was read. */
  flushWarnings(): void {
    for (const f of this.pendingUnknown.splice(0)) f();
  }
}

interface Members {
  has(key: string): boolean;
  /** Precondition: has(key). */
  present(key: string): Field<JsonNode>;
  /** Absent or null -> undefined (serde `Option`). */
  optional(key: string): Field<JsonNode> | undefined;
  /** Must be present; null is passed through (for `any JSON` fields). */
  requiredRaw(key: string, hint?: string): Field<JsonNode> | undefined;
  /** Must be present and not null. */
  required(key: string, hint?: string): Field<JsonNode> | undefined;
}

/** serde's wording of a JSON value's type, for the `occlum` message. */
function serdeType(n: JsonNode): string {
  switch (n.kind) {
    case "object":
      return "map";
    case "array":
      return "sequence";
    case "string":
      return `string ${JSON.stringify(n.value)}`;
    case "number":
      return /^-?[0-9]+$/.test(n.raw) ? `integer \`${n.raw}\`` : `floating point \`${n.raw}\``;
    case "bool":
      return `boolean \`${n.value}\``;
    case "null":
      return "null";
  }
}
