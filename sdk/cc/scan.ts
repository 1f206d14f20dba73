/**
 * Include scanning: which local files a translation unit reads, and whether it needs the POSIX
 * (WASIX) toolchain. A textual scan of `#include` lines, not a preprocessor: it follows includes
 * that sit in `#if` branches too (harmless: a few extra files hashed or copied) and cannot follow
 * computed includes (`#include MACRO`), which test guests don't use.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

export type CcMode = "wasip1" | "posix";

/**
 * Headers that wasip1's wasi-libc lacks or refuses (#error) but Debian's wasix-libc provides. A
 * program including one of them wants processes, threads, signals or sockets, so it is built in
 * POSIX mode. pthread.h and the socket headers do exist in wasi-libc, as stubs with no way to
 * create a thread or a socket, hence listed.
 */
export const POSIX_HEADERS: ReadonlySet<string> = new Set([
  "pthread.h", "semaphore.h", "spawn.h", "wait.h", "sys/wait.h", "signal.h", "sys/signal.h",
  "sys/socket.h", "netinet/in.h", "netinet/tcp.h", "arpa/inet.h", "netdb.h", "net/if.h", "sys/un.h",
  "poll.h", "sys/poll.h", "sys/select.h", "sys/epoll.h", "sys/sendfile.h", "termios.h", "pwd.h",
  "grp.h",
]);

const includeLine = /^[ \t]*#[ \t]*include[ \t]*([<"])([^>"\n]+)[>"]/gm;

export interface IncludeRef {
  name: string;
  quoted: boolean;
}

export function scanIncludes(text: string): IncludeRef[] {
  const refs: IncludeRef[] = [];
  for (const m of text.matchAll(includeLine)) refs.push({ name: m[2].trim(), quoted: m[1] === '"' });
  return refs;
}

/** The -I/-iquote/-isystem/-idirafter directories named by flags, resolved against `cwd`. */
export function includeDirs(flags: readonly string[], cwd: string = process.cwd()): string[] {
  const dirs: string[] = [];
  const opts = ["-I", "-iquote", "-isystem", "-idirafter"];
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i];
    for (const o of opts) {
      if (f === o && i + 1 < flags.length) dirs.push(path.resolve(cwd, flags[++i]));
      else if (f.startsWith(o) && f.length > o.length && !(o === "-I" && f.startsWith("-isystem"))) {
        dirs.push(path.resolve(cwd, f.slice(o.length)));
      }
    }
  }
  return dirs;
}

/** Files named by `-include <file>` / `-imacros <file>`: read before the source. */
export function forcedIncludes(flags: readonly string[], cwd: string = process.cwd()): string[] {
  const files: string[] = [];
  for (let i = 0; i < flags.length - 1; i++) {
    if (flags[i] === "-include" || flags[i] === "-imacros") files.push(path.resolve(cwd, flags[++i]));
  }
  return files;
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

interface Closure {
  files: string[];
  systemIncludes: Set<string>;
}

function walk(sources: readonly string[], flags: readonly string[], cwd: string): Closure {
  const dirs = includeDirs(flags, cwd);
  const seen = new Set<string>();
  const files: string[] = [];
  const systemIncludes = new Set<string>();
  const queue = [...sources.map((s) => path.resolve(cwd, s)), ...forcedIncludes(flags, cwd).filter(isFile)];
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    files.push(file);
    if (!/\.(c|cc|cpp|cxx|c\+\+|C|h|hh|hpp|hxx|inc|def|S)$/.test(file)) continue; // objects, archives
    let text: string;
    try {
      text = readFileSync(file, "latin1");
    } catch {
      continue; // a missing source is the compiler's error to report
    }
    for (const ref of scanIncludes(text)) {
      // The search order of the preprocessor: the includer's folder for "..." only, then -I dirs.
      const candidates = [...(ref.quoted ? [path.dirname(file)] : []), ...dirs].map((d) => path.resolve(d, ref.name));
      const found = candidates.find(isFile);
      if (found) queue.push(found);
      else systemIncludes.add(path.posix.normalize(ref.name));
    }
  }
  return { files, systemIncludes };
}

/**
 * Every local file the build reads: the sources, then (transitively) the headers they include
 * from the includer's folder or the -I folders. Sorted after the sources, so a hash over the list
 * is stable.
 */
export function localIncludeClosure(sources: readonly string[], flags: readonly string[] = [], cwd: string = process.cwd()): string[] {
  const { files } = walk(sources, flags, cwd);
  const head = files.slice(0, sources.length);
  return [...head, ...files.slice(sources.length).sort()];
}

/** True when -pthread is given or a file of the build includes a header in POSIX_HEADERS. */
export function needsPosix(sources: readonly string[], flags: readonly string[] = [], cwd: string = process.cwd()): boolean {
  if (flags.includes("-pthread") || flags.includes("-pthreads")) return true;
  const { systemIncludes } = walk(sources, flags, cwd);
  for (const name of systemIncludes) if (POSIX_HEADERS.has(name) || name.startsWith("wasix/")) return true;
  return false;
}

/** The mode occlum-cc picks: forced by --posix/--wasip1 (given as `forced`), else by needsPosix. */
export function detectMode(sources: readonly string[], flags: readonly string[] = [], forced?: CcMode, cwd: string = process.cwd()): CcMode {
  if (forced) return forced;
  return needsPosix(sources.filter((s) => existsSync(path.resolve(cwd, s))), flags, cwd) ? "posix" : "wasip1";
}
