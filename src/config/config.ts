/**
 * The resolved, frozen `Config` the rest of occlum-ts consumes, and `loadConfig`, the pipeline
 * that produces it: parse (json.ts) -> read (input.ts) -> decide EDMM (edmm.ts) -> resolve
 * (resolve.ts) -> validate (validate.ts). All problems of one stage are reported together in one
 * ConfigError; a later stage runs only when the earlier ones found no error.
 *
 * Meaning of the memory numbers (what the LibOS enforces, DESIGN.md "Configuration -> runtime"):
 * - userSpace.init/max: user_space_init_size / user_space_max_size of the internal config;
 *   userSpace.committedAtBoot: what is committed at boot (Init with EDMM, the whole Max without).
 * - kernelHeap.init/max: HeapInitSize / HeapMaxSize (equal without EDMM).
 * - threads.init/max: TCSNum / TCSMaxNum (equal without EDMM).
 */
import { decideEdmm, type EdmmDecision, type EdmmInputs, type EdmmSource, type SgxModeFile } from "./edmm.ts";
import { ConfigError, type ConfigIssue } from "./errors.ts";
import { readInput, type InputConfig, type InputMount } from "./input.ts";
import { JsonSyntaxError, parseJson, toPlain } from "./json.ts";
import { parseKssId, resolve, type EnclaveLayout, type Resolved } from "./resolve.ts";
import { sizeBytes } from "./size.ts";
import { validate } from "./validate.ts";

export interface MountConfig {
  readonly type: string;
  readonly target: string;
  /** As written (relative paths are relative to the instance directory). */
  readonly source: string | undefined;
  readonly options: {
    readonly mac: string | undefined;
    readonly layers: readonly MountConfig[] | undefined;
    readonly temporary: boolean;
    readonly cacheSize: bigint | undefined;
    readonly diskSize: bigint | undefined;
  };
}

export interface Config {
  readonly sgxMode: SgxModeFile;
  readonly edmm: { readonly enabled: boolean; readonly decidedBy: EdmmSource; readonly reason: string };
  readonly kernelStack: bigint;
  readonly kernelHeap: { readonly init: bigint; readonly max: bigint };
  readonly userSpace: { readonly init: bigint; readonly max: bigint; readonly committedAtBoot: bigint };
  readonly threads: { readonly init: number; readonly max: number };
  readonly process: { readonly defaultStackSize: bigint; readonly defaultHeapSize: bigint; readonly defaultMmapSize: bigint };
  readonly env: { readonly default: readonly string[]; readonly untrusted: readonly string[] };
  readonly entryPoints: readonly string[];
  /** The user's mounts of the app stage, in order (/proc and /dev are added by the LibOS). */
  readonly mounts: readonly MountConfig[];
  readonly features: {
    readonly amx: number;
    readonly pkru: number;
    readonly ioUring: number;
    readonly enableEdmm: boolean;
    readonly enablePosixShm: boolean;
  };
  readonly metadata: {
    readonly productId: number;
    readonly versionNumber: number;
    readonly debuggable: boolean;
    readonly disableLog: boolean;
    readonly enableKss: boolean;
    readonly familyId: { readonly high: bigint; readonly low: bigint };
    readonly extProdId: { readonly high: bigint; readonly low: bigint };
  };
  /** The exact numbers of build/Enclave.xml. */
  readonly enclave: EnclaveLayout;
}

export interface LoadOptions {
  /** Name used in messages, e.g. "Occlum.json". */
  readonly file?: string;
  /** SGX_MODE / ENABLE_EDMM / --sgx-mode / --enable-edmm; feature.enable_edmm comes from the file. */
  readonly edmm: Omit<EdmmInputs, "featureEnableEdmm">;
  readonly instanceDir?: string;
  readonly isDirectory?: (absPath: string) => boolean;
}

export interface Loaded {
  readonly config: Config;
  readonly input: InputConfig;
  readonly resolved: Resolved;
  readonly decision: EdmmDecision;
  /** Warnings located in the file (typos, SIM + enable_edmm, duplicate default mounts...). */
  readonly warnings: readonly ConfigIssue[];
}

/** Parses, resolves and validates Occlum.json. Throws ConfigError listing every problem found. */
export function loadConfig(text: string, options: LoadOptions): Loaded {
  const file = options.file ?? "Occlum.json";
  let root;
  try {
    root = parseJson(text);
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    throw new ConfigError(file, [
      { path: "", line: e.line, column: e.column, message: `invalid JSON: ${e.message}`, hint: e.hint, occlum: `It is not a valid Occlum configuration file.: Error("${e.message}", line: ${e.line}, column: ${e.column})` },
    ]);
  }
  const read = readInput(root);
  if (read.input === undefined) throw new ConfigError(file, read.errors, read.warnings);
  const input = read.input;
  const warnings: ConfigIssue[] = [...read.warnings];

  const decision = decideEdmm({ ...options.edmm, featureEnableEdmm: input.feature.enableEdmm.value });
  if (decision.featureWarning !== undefined) {
    const f = input.feature.enableEdmm;
    warnings.push({ path: f.path, line: f.line, column: f.column, message: decision.featureWarning });
  }
  const res = resolve(input, decision.edmm);
  const checked = validate(input, { instanceDir: options.instanceDir, isDirectory: options.isDirectory });
  const errors = [...res.errors, ...checked.errors];
  if (errors.length > 0 || res.resolved === undefined) {
    warnings.push(...checked.warnings);
    throw new ConfigError(file, errors.sort((a, b) => a.line - b.line || a.column - b.column), warnings);
  }
  warnings.push(...checked.warnings);
  return { config: buildConfig(input, res.resolved, decision), input, resolved: res.resolved, decision, warnings };
}

function mountConfig(m: InputMount): MountConfig {
  const o = m.options;
  return {
    type: m.type.value,
    target: m.target.value,
    source: m.source?.value,
    options: {
      mac: o.mac?.value,
      layers: o.layers?.value.map(mountConfig),
      temporary: o.temporary?.value ?? false,
      cacheSize: o.cacheSize && sizeBytes(o.cacheSize.value),
      diskSize: o.diskSize && sizeBytes(o.diskSize.value),
    },
  };
}

/** Precondition: `input` was resolved into `resolved` and validated without errors. */
export function buildConfig(input: InputConfig, resolved: Resolved, decision: EdmmDecision): Config {
  const l = resolved.layout;
  const env = toPlain(input.env.value) as { default: string[]; untrusted: string[] };
  const md = input.metadata;
  const id = (x: { high: { value: string }; low: { value: string } }) =>
    md.enableKss.value ? { high: parseKssId(x.high.value)!, low: parseKssId(x.low.value)! } : { high: 0n, low: 0n };
  const f = input.feature;
  return deepFreeze({
    sgxMode: decision.sgxModeFile,
    edmm: { enabled: decision.edmm, decidedBy: decision.decidedBy, reason: decision.reason },
    kernelStack: l.StackMaxSize,
    kernelHeap: { init: l.HeapInitSize, max: l.HeapMaxSize },
    userSpace: { init: resolved.userSpaceInit, max: resolved.userSpaceMax, committedAtBoot: l.ReservedMemInitSize },
    threads: { init: l.TCSNum, max: l.TCSMaxNum },
    process: {
      defaultStackSize: sizeBytes(input.process.defaultStackSize.value)!,
      defaultHeapSize: sizeBytes(input.process.defaultHeapSize.value)!,
      defaultMmapSize: sizeBytes(input.process.defaultMmapSize.value)!,
    },
    env: { default: [...env.default], untrusted: [...env.untrusted] },
    entryPoints: toPlain(input.entryPoints.value) as string[],
    mounts: input.mount.value.map(mountConfig),
    features: { amx: f.amx.value, pkru: f.pkru.value, ioUring: f.ioUring.value, enableEdmm: f.enableEdmm.value, enablePosixShm: f.enablePosixShm.value },
    metadata: {
      productId: md.productId.value,
      versionNumber: md.versionNumber.value,
      debuggable: md.debuggable.value,
      disableLog: resolved.disableLog,
      enableKss: md.enableKss.value,
      familyId: id(md.familyId),
      extProdId: id(md.extProdId),
    },
    enclave: { ...l },
  });
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === "object" && !Object.isFrozen(v)) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}
