/**
 * The resolution algorithm of Occlum's generator (spec 2.4), in its order, in BigInt.
 *
 * Input: the typed Occlum.json and the EDMM flag. Output: every number of Enclave.xml plus the
 * user space Init/Max of the internal config. Where Occlum prints one message and exits 0 (spec
 * 1.10) we record an issue carrying that same message in `occlum` and keep going, so one run
 * reports every problem. We also reject what Intel's sgx_sign would reject when signing (spec
 * 2.7), since that is where Occlum's build would fail.
 */
import { childPath, type ConfigIssue } from "./errors.ts";
import type { Field, InputConfig, InputMetaId, InputMount } from "./input.ts";
import { describeSizeError, formatBytes, parseSize, U64_MAX } from "./size.ts";

export const GIB = 1n << 30n;
/** Hard-coded defaults of Occlum's generator (spec 2.3). */
export const DEFAULTS = Object.freeze({
  kernelHeapMaxEdmm: 1024n << 20n,
  userSpaceMaxEdmm: 16n * GIB,
  tcsInitEdmm: 16,
  tcsMaxEdmm: 4096,
  extraUserRegionEdmm: GIB,
  cachePage: 4096n,
  minCacheSize: 196608n,
  minDiskSize: 5368709120n,
});

/** Every value of Enclave.xml, in its element order. */
export interface EnclaveLayout {
  readonly ProdID: number;
  readonly ISVSVN: number;
  readonly StackMaxSize: bigint;
  readonly StackMinSize: bigint;
  readonly HeapInitSize: bigint;
  readonly HeapMaxSize: bigint;
  readonly HeapMinSize: bigint;
  readonly TCSNum: number;
  readonly TCSMaxNum: number;
  readonly TCSMinPool: number;
  readonly TCSPolicy: number;
  readonly DisableDebug: number;
  readonly MiscSelect: string;
  readonly MiscMask: string;
  readonly ReservedMemMaxSize: bigint;
  readonly ReservedMemMinSize: bigint;
  readonly ReservedMemInitSize: bigint;
  readonly ReservedMemExecutable: number;
  /** EDMM only; absent (element omitted) otherwise. */
  readonly UserRegionSize: bigint | undefined;
  readonly EnableKSS: number;
  readonly ISVEXTPRODID_H: bigint;
  readonly ISVEXTPRODID_L: bigint;
  readonly ISVFAMILYID_H: bigint;
  readonly ISVFAMILYID_L: bigint;
  readonly PKRU: number;
  readonly AMX: number;
}

export interface Resolved {
  readonly edmm: boolean;
  readonly layout: EnclaveLayout;
  /** Step 4 values, as written to the internal config (`"<bytes>B"`). */
  readonly userSpaceInit: bigint;
  readonly userSpaceMax: bigint;
  /** metadata.disable_log ?? !debuggable (step 11). */
  readonly disableLog: boolean;
}

export interface ResolveResult {
  readonly resolved: Resolved | undefined;
  readonly errors: readonly ConfigIssue[];
}

/** The most vCPUs num_of_cpus may ask for (src/libos/vcpu's MAX_VCPUS: more is a mistake, not a machine). */
export const NUM_OF_CPUS_MAX = 256;

const KSS_ID_MESSAGE = "64 bit hex string ID required, such as 0x1234567812345678";

/**
 * A KSS id as Occlum parses it: strip every leading "0x" (lowercase only), then a base-16 u64
 * (Rust `u64::from_str_radix`, which also takes one leading `+`). Undefined when invalid.
 */
export function parseKssId(text: string): bigint | undefined {
  let s = text;
  while (s.startsWith("0x")) s = s.slice(2);
  if (!/^\+?[0-9A-Fa-f]+$/.test(s)) return undefined;
  const v = BigInt("0x" + s.replace(/^\+/, ""));
  return v <= U64_MAX ? v : undefined;
}

/** Rust's `{:?}` of a String / Option<String>, for Occlum's messages. */
function dbg(s: string | undefined): string {
  return s === undefined ? "None" : JSON.stringify(s);
}
function dbgSome(s: string | undefined): string {
  return s === undefined ? "None" : `Some(${JSON.stringify(s)})`;
}
const maxB = (a: bigint, b: bigint) => (a > b ? a : b);

export function resolve(input: InputConfig, edmm: boolean): ResolveResult {
  const errors: ConfigIssue[] = [];
  const at = (f: Field<unknown>) => ({ path: f.path, line: f.line, column: f.column });
  const size = (f: Field<string>): bigint | undefined => {
    const r = parseSize(f.value);
    if (r.ok) return r.bytes;
    const name = f.path.slice(f.path.lastIndexOf(".") + 1);
    errors.push({ ...at(f), ...describeSizeError(f.value, r.error), occlum: `The ${name} ${JSON.stringify(f.value)} is not correct.` });
    return undefined;
  };
  const rl = input.resourceLimits;

  // 1. TCS
  const T = rl.maxNumOfThreads.value;
  const Ti = rl.initNumOfThreads?.value;
  const tcsInit = edmm ? (Ti ?? Math.min(DEFAULTS.tcsInitEdmm, T)) : T;
  const tcsMax = edmm ? Math.max(T, DEFAULTS.tcsMaxEdmm) : T;
  if (tcsInit > tcsMax) {
    errors.push({
      ...at(rl.initNumOfThreads!),
      message: `init_num_of_threads ${tcsInit} is more than the maximum number of threads, ${tcsMax} (max(max_num_of_threads, 4096) under EDMM)`,
      expected: `at most ${tcsMax}`,
      hint: `lower init_num_of_threads, or raise max_num_of_threads to at least ${tcsInit}`,
      occlum: `init_num_of_threads: Some(${Ti}), max_num_of_threads: ${T}, wrong configuration`,
    });
  }
  if (T === 0) {
    errors.push({ ...at(rl.maxNumOfThreads), message: "0 threads: nothing could run", expected: "at least 1" });
  }
  const cpus = rl.numOfCpus;
  if (cpus !== undefined && (cpus.value < 1 || cpus.value > NUM_OF_CPUS_MAX)) {
    errors.push({
      ...at(cpus),
      message: `num_of_cpus ${cpus.value}: the LibOS runs 1 to ${NUM_OF_CPUS_MAX} vCPUs`,
      expected: `an integer from 1 to ${NUM_OF_CPUS_MAX}`,
      hint: "leave it out for one vCPU per host core",
    });
  }

  // 2. Stack
  const S = size(rl.kernelSpaceStackSize);

  // 3. Kernel heap
  const H = size(rl.kernelSpaceHeapSize);
  const Hm = rl.kernelSpaceHeapMaxSize && size(rl.kernelSpaceHeapMaxSize);
  let heapInit: bigint | undefined;
  let heapMax: bigint | undefined;
  if (H !== undefined && (rl.kernelSpaceHeapMaxSize === undefined || Hm !== undefined)) {
    if (Hm !== undefined) [heapInit, heapMax] = edmm ? [H, maxB(Hm, DEFAULTS.kernelHeapMaxEdmm)] : [Hm, Hm];
    else [heapInit, heapMax] = edmm ? [H, maxB(H, DEFAULTS.kernelHeapMaxEdmm)] : [H, H];
    if (heapInit > heapMax) {
      errors.push({
        ...at(rl.kernelSpaceHeapSize),
        message: `${JSON.stringify(rl.kernelSpaceHeapSize.value)} (${formatBytes(heapInit)}) is larger than the kernel heap maximum, ${formatBytes(heapMax)} (max(kernel_space_heap_max_size, 1 GiB) under EDMM)`,
        expected: `at most ${formatBytes(heapMax)}`,
        hint: `raise kernel_space_heap_max_size to at least ${JSON.stringify(rl.kernelSpaceHeapSize.value)}, or lower kernel_space_heap_size`,
        occlum: `kernel_space_heap_size: ${dbg(rl.kernelSpaceHeapSize.value)}, kernel_space_heap_max_size: ${dbgSome(rl.kernelSpaceHeapMaxSize?.value)}, wrong configuration`,
      });
    }
  }

  // 4. User space
  const U = size(rl.userSpaceSize);
  const Um = rl.userSpaceMaxSize && size(rl.userSpaceMaxSize);
  let userInit: bigint | undefined;
  let userMax: bigint | undefined;
  if (U !== undefined && (rl.userSpaceMaxSize === undefined || Um !== undefined)) {
    userInit = U;
    if (Um !== undefined) userMax = edmm ? maxB(Um, DEFAULTS.userSpaceMaxEdmm) : Um;
    else userMax = edmm ? maxB(U, DEFAULTS.userSpaceMaxEdmm) : U;
    if (userInit > userMax) {
      errors.push({
        ...at(rl.userSpaceSize),
        message: `${JSON.stringify(rl.userSpaceSize.value)} (${formatBytes(userInit)}) is larger than user_space_max_size ${JSON.stringify(rl.userSpaceMaxSize!.value)} (${formatBytes(userMax)})`,
        expected: `at most ${formatBytes(userMax)}: without EDMM, user_space_max_size is the whole static user space`,
        hint: `raise user_space_max_size to at least ${JSON.stringify(rl.userSpaceSize.value)}, or lower user_space_size`,
        occlum: `user_space_size: ${dbg(rl.userSpaceSize.value)}, user_space_max_size: ${dbgSome(rl.userSpaceMaxSize?.value)}, wrong configuration`,
      });
    }
  }

  // 5. Reserved memory / user region
  let reserved: bigint | undefined;
  let userRegion: bigint | undefined;
  if (userInit !== undefined && userMax !== undefined) {
    if (edmm) {
      reserved = userInit;
      userRegion = userMax === userInit ? userMax : userMax + DEFAULTS.extraUserRegionEdmm;
    } else {
      reserved = userMax;
    }
  }

  // 7. Per top-level mount: cache_size, ext2 disk_size, disk_size
  input.mount.value.forEach((m) => checkMountSizes(m, heapMax, errors));

  // 8. KSS ids (Occlum panics on the first bad one; we report each)
  const md = input.metadata;
  let kss: [bigint, bigint, bigint, bigint] = [0n, 0n, 0n, 0n];
  if (md.enableKss.value) {
    const id = (f: Field<string>) => {
      const v = parseKssId(f.value);
      if (v === undefined) {
        const upper = /^0X/.test(f.value) ? `did you mean ${JSON.stringify("0x" + f.value.slice(2))}? (only a lowercase "0x" prefix is accepted)` : undefined;
        errors.push({
          ...at(f),
          message: `${JSON.stringify(f.value)} is not a 64-bit hex ID`,
          expected: 'e.g. "0x1234567812345678": hexadecimal digits, optionally after "0x", at most 16 significant digits',
          hint: upper,
          occlum: KSS_ID_MESSAGE,
        });
      }
      return v ?? 0n;
    };
    const ext = (x: InputMetaId) => [id(x.high), id(x.low)] as const;
    const [eh, el] = ext(md.extProdId);
    const [fh, fl] = ext(md.familyId);
    kss = [eh, el, fh, fl];
  }

  // What sgx_sign enforces when signing (spec 2.7): Occlum's build fails there.
  const signCheck = (f: Field<unknown>, ok: boolean, message: string, expected: string) => {
    if (!ok) errors.push({ ...at(f), message, expected, hint: "Occlum's sgx_sign rejects this when signing the enclave" });
  };
  const aligned = (v: bigint | undefined) => v === undefined || v % 4096n === 0n;
  signCheck(rl.kernelSpaceStackSize, aligned(S), `${formatSizeValue(rl.kernelSpaceStackSize.value, S)} is not a multiple of 4 KiB`, "a multiple of 4KB (the page size)");
  // Without EDMM a present kernel_space_heap_max_size replaces kernel_space_heap_size entirely.
  const heapInitField = !edmm && rl.kernelSpaceHeapMaxSize !== undefined ? rl.kernelSpaceHeapMaxSize : rl.kernelSpaceHeapSize;
  signCheck(heapInitField, aligned(heapInit), `kernel heap init size ${formatBytes(heapInit ?? 0n)} is not a multiple of 4 KiB`, "a multiple of 4KB (the page size)");
  if (heapMax !== heapInit) {
    signCheck(rl.kernelSpaceHeapMaxSize ?? rl.kernelSpaceHeapSize, aligned(heapMax), `kernel heap max size ${formatBytes(heapMax ?? 0n)} is not a multiple of 4 KiB`, "a multiple of 4KB (the page size)");
  }
  signCheck(md.productId, md.productId.value <= 0xffff, `${md.productId.value} is too large`, "at most 65535");
  signCheck(md.versionNumber, md.versionNumber.value <= 0xffff, `${md.versionNumber.value} is too large`, "at most 65535");
  const f = input.feature;
  signCheck(f.pkru, f.pkru.value <= 2, `${f.pkru.value} is not a PKRU mode`, "0 (off), 1 (on) or 2 (on if the platform supports it)");
  signCheck(f.amx, f.amx.value <= 2, `${f.amx.value} is not an AMX mode`, "0 (off), 1 (on) or 2 (on if the platform supports it)");

  if (errors.length > 0) return { resolved: undefined, errors };

  const layout: EnclaveLayout = {
    ProdID: md.productId.value,
    ISVSVN: md.versionNumber.value,
    StackMaxSize: S!,
    StackMinSize: S!,
    HeapInitSize: heapInit!,
    HeapMaxSize: heapMax!,
    HeapMinSize: heapInit!,
    TCSNum: tcsInit,
    TCSMaxNum: tcsMax,
    TCSMinPool: tcsInit,
    TCSPolicy: 0,
    DisableDebug: md.debuggable.value ? 0 : 1,
    MiscSelect: edmm ? "1" : "0",
    MiscMask: edmm ? "0xFFFFFFFF" : "0",
    ReservedMemMaxSize: reserved!,
    ReservedMemMinSize: reserved!,
    ReservedMemInitSize: reserved!,
    ReservedMemExecutable: 1,
    UserRegionSize: userRegion,
    EnableKSS: md.enableKss.value ? 1 : 0,
    ISVEXTPRODID_H: kss[0],
    ISVEXTPRODID_L: kss[1],
    ISVFAMILYID_H: kss[2],
    ISVFAMILYID_L: kss[3],
    PKRU: f.pkru.value,
    AMX: f.amx.value,
  };
  return {
    resolved: Object.freeze({
      edmm,
      layout: Object.freeze(layout),
      userSpaceInit: userInit!,
      userSpaceMax: userMax!,
      disableLog: md.disableLog?.value ?? !md.debuggable.value,
    }),
    errors,
  };
}

function formatSizeValue(text: string, bytes: bigint | undefined): string {
  return bytes === undefined ? JSON.stringify(text) : `${JSON.stringify(text)} (${bytes} bytes)`;
}

/** Spec 1.7 rule 4, for one top-level mount (layers are not checked, as in Occlum). */
function checkMountSizes(m: InputMount, heapMax: bigint | undefined, errors: ConfigIssue[]): void {
  const o = m.options;
  const optPath = childPath(m.path, "options");
  if (o.cacheSize !== undefined) {
    const c = o.cacheSize;
    const r = parseSize(c.value);
    if (!r.ok) {
      errors.push({ path: c.path, line: c.line, column: c.column, ...describeSizeError(c.value, r.error), occlum: `The cache_size ${JSON.stringify(c.value)} is not correct.` });
    } else if (heapMax !== undefined) {
      const b = r.bytes;
      if (b < DEFAULTS.minCacheSize || b % DEFAULTS.cachePage !== 0n || b > heapMax) {
        const why = b < DEFAULTS.minCacheSize ? "is below the minimum of 192 KiB" : b % DEFAULTS.cachePage !== 0n ? "is not a multiple of the 4 KiB cache page" : `is larger than the kernel heap maximum, ${formatBytes(heapMax)}`;
        errors.push({
          path: c.path,
          line: c.line,
          column: c.column,
          message: `${JSON.stringify(c.value)} (${formatBytes(b)}) ${why}`,
          expected: `a multiple of 4KB from 192KB to the kernel heap maximum (${formatBytes(heapMax)}); the SEFS cache lives in the kernel heap`,
          occlum: `Invalid cache_size "${b}". The cache_size must be 1. larger than the minimum size "196608", 2. aligned with cache page size "4096", 3. smaller than the kernel_heap_max_size "${heapMax}".`,
        });
      }
    }
  }
  if (m.type.value === "ext2" && o.diskSize === undefined) {
    errors.push({
      path: childPath(optPath, "disk_size"),
      line: m.line,
      column: m.column,
      message: "an ext2 mount needs a disk size",
      expected: 'options.disk_size, e.g. "10GB" (at least 5GB)',
      hint: 'add "options": {"disk_size": "10GB"}',
      occlum: "The disk_size must be specified for Ext2.",
    });
  }
  if (o.diskSize !== undefined) {
    const d = o.diskSize;
    const r = parseSize(d.value);
    if (!r.ok) {
      errors.push({ path: d.path, line: d.line, column: d.column, ...describeSizeError(d.value, r.error), occlum: `The disk_size ${JSON.stringify(d.value)} is not correct.` });
    } else if (r.bytes < DEFAULTS.minDiskSize) {
      errors.push({
        path: d.path,
        line: d.line,
        column: d.column,
        message: `${JSON.stringify(d.value)} (${formatBytes(r.bytes)}) is too small`,
        expected: 'at least "5GB"',
        occlum: `The disk_size "${r.bytes}" is too small, minimum size is "5368709120".`,
      });
    }
  }
}
