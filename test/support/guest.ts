/**
 * Test support: build C guest programs with occlum-cc, cached by content hash.
 *
 * API (stable; other test files rely on it):
 *
 *   buildGuest(sourcePath, opts?) => Promise<string>   absolute path of the built .wasm
 *     opts.mode        "wasip1" | "posix"  force a toolchain; default: chosen as occlum-cc chooses
 *                      (POSIX when the source, or a local header it includes, includes a POSIX
 *                      header wasip1 lacks, e.g. pthread.h/spawn.h/sys/socket.h, or -pthread given)
 *     opts.flags       extra compiler/linker flags, e.g. ["-DN=3", "-lm"]
 *     opts.extraSources more C files linked into the same program
 *   hasPosixToolchain() => boolean                     Debian clang + wasix-libc sysroot usable?
 *   posixSkip() => false | string                      for `test(name, { skip: posixSkip() }, ...)`;
 *                      never skips when OCCLUM_REQUIRE_POSIX_TOOLCHAIN=1 (set by .ci/run), so a
 *                      missing toolchain fails there instead of silently skipping.
 *
 * Example:
 *   const wasm = await buildGuest(new URL("./guest/fs/path_open_basic.c", import.meta.url).pathname);
 *   const posix = await buildGuest("test/guest/proc/spawn_wait.c"); // relative to the repo root
 *
 * Cache: .cache/guests/<sha256>.wasm where the hash covers the source, the local headers it
 * includes (transitively), extra sources, flags, mode and the toolchain identity. Several test
 * processes may build the same guest at once: each writes a private temp file and renames it into
 * place, so readers only ever see complete files. A failed compile rejects with the compiler's
 * diagnostics in the error message.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { compile, detectMode, findPosixToolchain, localIncludeClosure, toolchainIdentity } from "../../sdk/occlum-cc.ts";
import type { CcMode } from "../../sdk/occlum-cc.ts";

export type GuestMode = CcMode;

export interface BuildGuestOptions {
  mode?: GuestMode;
  flags?: readonly string[];
  extraSources?: readonly string[];
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const cacheDir = path.join(repoRoot, ".cache", "guests");

// One build per key per process; other processes are handled by the temp + rename protocol.
const inFlight = new Map<string, Promise<string>>();

export async function buildGuest(sourcePath: string, opts: BuildGuestOptions = {}): Promise<string> {
  const source = path.resolve(repoRoot, sourcePath);
  const extra = (opts.extraSources ?? []).map((s) => path.resolve(repoRoot, s));
  const sources = [source, ...extra];
  const flags = [...(opts.flags ?? [])];
  const mode = opts.mode ?? detectMode(sources, flags);
  if (mode === "posix" && !hasPosixToolchain()) {
    throw new Error(`cannot build POSIX guest ${sourcePath}: ${posixSkipMessage}`);
  }
  const key = await cacheKey(sources, flags, mode);
  const out = path.join(cacheDir, `${key}.wasm`);
  let pending = inFlight.get(out);
  if (!pending) {
    pending = buildOnce(sources, flags, mode, out);
    inFlight.set(out, pending);
    pending.catch(() => inFlight.delete(out));
  }
  return pending;
}

async function buildOnce(sources: string[], flags: string[], mode: GuestMode, out: string): Promise<string> {
  if (await exists(out)) return out;
  await mkdir(cacheDir, { recursive: true });
  const tmp = `${out}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await compile({ sources, output: tmp, flags, mode });
    await rename(tmp, out);
  } finally {
    await rm(tmp, { force: true });
  }
  return out;
}

async function cacheKey(sources: string[], flags: string[], mode: GuestMode): Promise<string> {
  const h = createHash("sha256");
  h.update(`mode=${mode}\0toolchain=${await toolchainIdentity(mode)}\0flags=${JSON.stringify(flags)}\0`);
  for (const file of localIncludeClosure(sources, flags)) {
    // Names, not full paths: the same files in another checkout or temp folder share a key.
    h.update(`${path.basename(file)}\0`);
    h.update(await readFile(file));
    h.update("\0");
  }
  return h.digest("hex");
}

async function exists(file: string): Promise<boolean> {
  try {
    return (await stat(file)).size > 0;
  } catch {
    return false;
  }
}

const posixSkipMessage =
  "POSIX guest toolchain missing (Debian clang + lld + libclang-rt wasm32 + wasix-libc): run `sudo sdk/setup-wasix.sh`";

export function hasPosixToolchain(): boolean {
  return findPosixToolchain() !== undefined;
}

export function posixSkip(): false | string {
  if (hasPosixToolchain() || process.env.OCCLUM_REQUIRE_POSIX_TOOLCHAIN === "1") return false;
  return posixSkipMessage;
}
