/**
 * Programs instrumented ahead of time by `occlum build`, so that `occlum run` does not pay for
 * the instrumenter at start-up (it runs cold there: ~15 ms for a 30 KB hello, most of the
 * loader's share of the start-up time; bench/startup/README.md).
 *
 * Layout, under the instance's build/precompiled/:
 *   manifest.json   { fingerprint, entries: { "<sha256 of the program>:<variant>":
 *                     { file, sha256 (of the instrumented bytes), fuelExport } } }
 *   <sha256>.<variant>.wasm
 * The variant is the loader's one option that depends on the run ("1": one vCPU, fences
 * elided; "n": several vCPUs), and both are written.
 *
 * Trust: the manifest is an output of `occlum build`, like build/.Occlum_sys.json that holds the
 * image's MAC (in Occlum both are inside the signed enclave). Every instrumented file is checked
 * against the SHA-256 the manifest gives before use; a mismatch (tampering, a half-written file)
 * or a manifest made by another version of the instrumenter (the fingerprint: a hash of the
 * instrumenter's source files) only means the program is instrumented at run time as before.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, lstatSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Wasm } from "../wasm.ts";
import { createSha256, sha256Hex } from "../sha256.ts";
import { isWasm } from "./wasm-info.ts";
import { instrument, type InstrumentOptions } from "./instrument/instrument.ts";

export const MANIFEST = "manifest.json";

/** The instrumentation the loader applies; `single`: every thread of the program on one agent. */
export function loadOptions(single: boolean): InstrumentOptions {
  return { rewriteAtomics: true, preemption: true, rewriteGrow: true, elideFences: single };
}

const variantOf = (single: boolean): string => (single ? "1" : "n");
const sha256 = sha256Hex;

/** Set by scripts/bundle-cli.ts in the CLI bundle (whose inputs are checked before it runs). */
declare const OCCLUM_TS_INSTRUMENTER_FINGERPRINT: string | undefined;

let fingerprintMemo: string | undefined;

/** A hash of the instrumenter's sources: instrumented output of another version is not reused. */
export function instrumenterFingerprint(): string {
  if (fingerprintMemo !== undefined) return fingerprintMemo;
  if (typeof OCCLUM_TS_INSTRUMENTER_FINGERPRINT === "string") return (fingerprintMemo = OCCLUM_TS_INSTRUMENTER_FINGERPRINT);
  return (fingerprintMemo = computeInstrumenterFingerprint());
}

/** The fingerprint from the instrumenter's source files (what the bundle inlines). */
export function computeInstrumenterFingerprint(): string {
  const dir = fileURLToPath(new URL("./instrument/", import.meta.url));
  const h = createSha256();
  for (const name of readdirSync(dir).filter((n) => n.endsWith(".ts") && !n.endsWith(".test.ts")).sort()) {
    h.update(name).update("\0").update(readFileSync(path.join(dir, name))).update("\0");
  }
  h.update(JSON.stringify([loadOptions(true), loadOptions(false)]));
  return h.digest("hex");
}

interface Entry { file: string; sha256: string; fuelExport: string | null }
interface Manifest { fingerprint: string; entries: Record<string, Entry> }

export interface Precompiled { bytes: Uint8Array; fuelExport: string | null }

export interface PrecompiledStore {
  /** The instrumented bytes for a program (by its SHA-256), verified; undefined when absent or not usable. */
  get(programSha256: string, single: boolean): Precompiled | undefined;
}

/**
 * The store of an instance (`dir` = build/precompiled), or undefined when there is none or it was
 * made by another instrumenter. `warn` hears about files that fail their check.
 */
export function openPrecompiled(dir: string, warn: (msg: string) => void = () => {}): PrecompiledStore | undefined {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(dir, MANIFEST), "utf8")) as Manifest;
  } catch {
    return undefined;
  }
  if (typeof manifest?.entries !== "object" || manifest.fingerprint !== instrumenterFingerprint()) return undefined;
  return {
    get(programSha256, single) {
      const e = manifest.entries[`${programSha256}:${variantOf(single)}`];
      if (!e || typeof e.file !== "string" || e.file.includes("/") || typeof e.sha256 !== "string") return undefined;
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(path.join(dir, e.file));
      } catch {
        return undefined;
      }
      if (sha256(bytes) !== e.sha256) {
        warn(`build/precompiled/${e.file} does not match the build's manifest: instrumenting the program at run time instead`);
        return undefined;
      }
      return { bytes, fuelExport: typeof e.fuelExport === "string" ? e.fuelExport : null };
    },
  };
}

/**
 * `occlum build`: instrument every WebAssembly module of the captured image (`root`) into `dir`
 * (replaced). Modules that do not validate or that the instrumenter rejects are skipped: the
 * loader reports them at run time as it always did. Returns how many programs were written.
 */
export function precompileImage(root: string, dir: string): { programs: number } {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const entries: Record<string, Entry> = {};
  const seen = new Set<string>();
  let programs = 0;
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) {
        walk(p);
        continue;
      }
      if (!st.isFile()) continue;
      const bytes = readFileSync(p);
      if (!isWasm(bytes)) continue;
      const sha = sha256(bytes);
      if (seen.has(sha)) continue;
      seen.add(sha);
      if (!Wasm.validate(bytes)) continue;
      for (const single of [true, false]) {
        let r;
        try {
          r = instrument(bytes, loadOptions(single));
        } catch {
          break; // the loader runs such a program uninstrumented and says why
        }
        const file = `${sha}.${variantOf(single)}.wasm`;
        writeFileSync(path.join(dir, file), r.bytes);
        entries[`${sha}:${variantOf(single)}`] = { file, sha256: sha256(r.bytes), fuelExport: r.fuelExport };
      }
      programs++;
    }
  };
  walk(root);
  const manifest: Manifest = { fingerprint: instrumenterFingerprint(), entries };
  const tmp = path.join(dir, `.${MANIFEST}.tmp`);
  writeFileSync(tmp, JSON.stringify(manifest, null, 1));
  renameSync(tmp, path.join(dir, MANIFEST));
  return { programs };
}
