/**
 * wasip1 mode: clang/lld 22 compiled to wasm (npm @yowasp/clang, with its wasm32-wasip1 sysroot),
 * run in this process. That clang sees an in-memory file system only, so the host files a build
 * reads are copied in under /host/<absolute path> (never clashing with its own /usr and /tmp), path
 * arguments are rewritten to match, and files the compiler creates are copied back out. Loading
 * the 100 MB of wasm costs ~2 s once per process; each compile after that ~0.1-0.3 s.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { libraryDirs, mapPathArgs } from "./args.ts";
import { localIncludeClosure } from "./scan.ts";

const HOST = "/host";

type Tree = { [name: string]: Tree | string | Uint8Array };
type Run = (args: string[], files: Tree, options: object) => Promise<Tree>;

let loaded: Promise<{ runClang: Run }> | undefined;

function load(): Promise<{ runClang: Run }> {
  // runClang is exported by the bundle but missing from the package's .d.ts.
  // Prefetching with a silent progress callback: runClang's first internal step would otherwise
  // fetch with the default one, which prints progress lines.
  loaded ??= import("@yowasp/clang").then(async (m) => {
    await m.runLLVM(undefined, {}, { fetchProgress: () => {} });
    return m as unknown as { runClang: Run };
  });
  return loaded;
}

let versionCache: string | undefined;

/** Package version of @yowasp/clang, read without loading the compiler. */
export function wasip1Identity(): string {
  if (versionCache) return versionCache;
  try {
    // The package exports only its bundle (gen/bundle.js); package.json sits one folder up.
    const bundle = fileURLToPath(import.meta.resolve("@yowasp/clang"));
    const pkg = JSON.parse(readFileSync(path.join(path.dirname(bundle), "..", "package.json"), "utf8")) as { version: string };
    versionCache = `yowasp-clang:${pkg.version}`;
  } catch {
    versionCache = "yowasp-clang:missing";
  }
  return versionCache;
}

function toVirtual(hostPath: string): string {
  return HOST + hostPath;
}

/** Bytes with the virtual /host prefix of paths removed (latin1 keeps every byte as is). */
function unhost(data: Uint8Array): Buffer {
  return Buffer.from(Buffer.from(data).toString("latin1").replaceAll(`${HOST}/`, "/"), "latin1");
}

/**
 * A make depfile in host terms: /host paths unwrapped, the compiler's virtual sysroot headers
 * (/usr/... inside the wasm clang, absent on the host) dropped, as -MMD would.
 */
function hostDepfile(data: Uint8Array, cwd: string): Buffer {
  const text = Buffer.from(data).toString("latin1");
  const rules = text.replaceAll("\\\n", " ").split("\n").map((line) => {
    const colon = line.indexOf(": ");
    if (colon < 0) return line;
    const deps = line.slice(colon + 2).split(/\s+/).filter((d) => d !== "" && !d.startsWith("/usr/"));
    return `${line.slice(0, colon)}: ${deps.join(" ")}`;
  });
  // Paths below the cwd become relative again, as the user most likely wrote them.
  const text2 = unhost(Buffer.from(rules.join("\n"), "latin1")).toString("latin1").replaceAll(`${cwd}/`, "");
  return Buffer.from(text2, "latin1");
}

function insert(tree: Tree, virtualPath: string, data: Uint8Array): void {
  const parts = virtualPath.split("/").filter(Boolean);
  let dir = tree;
  for (const p of parts.slice(0, -1)) {
    const next = dir[p];
    if (next === undefined || typeof next === "string" || next instanceof Uint8Array) dir[p] = {};
    dir = dir[p] as Tree;
  }
  dir[parts[parts.length - 1]] = data;
}

function* flatten(tree: Tree, prefix: string): Generator<[string, Uint8Array]> {
  for (const [name, entry] of Object.entries(tree)) {
    const p = `${prefix}/${name}`;
    if (typeof entry === "string") yield [p, new TextEncoder().encode(entry)];
    else if (entry instanceof Uint8Array) yield [p, entry];
    else yield* flatten(entry, p);
  }
}

function ensureDir(tree: Tree, virtualDir: string): void {
  let dir = tree;
  for (const p of virtualDir.split("/").filter(Boolean)) {
    dir[p] ??= {};
    dir = dir[p] as Tree;
  }
}

// The wasm clang runs synchronously inside each call; queueing keeps one build's files apart
// from another's stdout/stderr callbacks.
let queue: Promise<unknown> = Promise.resolve();

export interface Wasip1Request {
  cxx: boolean;
  /** clang arguments in host form (sources, -I, -o ... as the user wrote them). */
  args: string[];
  /** Input files (sources, objects, archives) for the include scan. */
  inputs: string[];
  cwd: string;
  /** Print compiler stderr as it comes (the CLI) rather than only returning it. */
  echo: boolean;
}

export interface Wasip1Result {
  code: number;
  stderr: string;
  written: string[];
}

export function runWasip1Clang(req: Wasip1Request): Promise<Wasip1Result> {
  const run = queue.then(() => runNow(req));
  queue = run.catch(() => undefined);
  return run;
}

async function runNow(req: Wasip1Request): Promise<Wasip1Result> {
  const { runClang } = await load();
  const tree: Tree = {};
  const inputs = new Set<string>();
  const add = (hostPath: string): void => {
    const v = toVirtual(hostPath);
    if (inputs.has(v)) return;
    try {
      insert(tree, v, readFileSync(hostPath));
      inputs.add(v);
    } catch {
      // unreadable or missing: clang reports it with the path the user gave
    }
  };
  for (const f of localIncludeClosure(req.inputs, req.args, req.cwd)) add(f);
  for (const dir of libraryDirs(req.args, req.cwd)) {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) if (/\.(a|o)$/.test(n) && statSync(path.join(dir, n)).isFile()) add(path.join(dir, n));
  }
  // Folders of outputs must exist in the virtual tree too (clang opens output paths directly).
  const vargs = mapPathArgs(req.args, (p, isOutput) => {
    const host = path.resolve(req.cwd, p);
    if (isOutput) ensureDir(tree, toVirtual(path.dirname(host)));
    return toVirtual(host);
  });
  let stderr = "";
  const decoder = new TextDecoder();
  const onStderr = (bytes: Uint8Array | null): void => {
    if (!bytes) return;
    const text = decoder.decode(bytes, { stream: true }).replaceAll(`${HOST}/`, "/");
    stderr += text;
    if (req.echo) process.stderr.write(text);
  };
  // Buffered so /host prefixes (in -E line markers) are removed even across chunk boundaries.
  const stdoutChunks: Uint8Array[] = [];
  const onStdout = (bytes: Uint8Array | null): void => {
    if (bytes) stdoutChunks.push(new Uint8Array(bytes));
  };
  const flushStdout = (): void => {
    if (stdoutChunks.length > 0) process.stdout.write(unhost(Buffer.concat(stdoutChunks)));
  };
  let out: Tree;
  try {
    out = await runClang([req.cxx ? "clang++" : "clang", ...vargs], tree, {
      stdout: onStdout,
      stderr: onStderr,
      decodeASCII: false,
      fetchProgress: () => {},
    });
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === "number") {
      flushStdout();
      return { code, stderr, written: [] };
    }
    throw err;
  }
  flushStdout();
  const written: string[] = [];
  for (const [vpath, data] of flatten(out, "")) {
    if (inputs.has(vpath)) continue;
    let host: string;
    if (vpath.startsWith(`${HOST}/`)) host = vpath.slice(HOST.length);
    else if (vpath.split("/").length === 2) host = path.join(req.cwd, vpath); // `-c` without -o: the cwd
    else continue; // the compiler's own /usr and /tmp
    mkdirSync(path.dirname(host), { recursive: true });
    writeFileSync(host, host.endsWith(".d") ? hostDepfile(data, req.cwd) : data);
    written.push(host);
  }
  return { code: 0, stderr, written };
}
