/**
 * occlum-cc's command line: clang's own options pass through; this module only needs to know
 * which arguments are inputs, which are paths (the wasm clang sees a virtual file system), which
 * are ours (--posix, --wasip1, --instance) and whether the command links.
 */
import path from "node:path";
import type { CcMode } from "./scan.ts";

/** Options whose value is the next argument and is not a path. */
const VALUE_OPTS = new Set([
  "-D", "-U", "-x", "-Xlinker", "-Xclang", "-Xpreprocessor", "-Xassembler", "-mllvm", "-MT", "-MQ",
  "-l", "-e", "-u", "-z", "-arch", "-target",
]);
/** Options whose value is the next argument and is a path; outputs are marked. */
const PATH_OPTS = new Map<string, boolean>([
  ["-o", true], ["-MF", true], ["-I", false], ["-L", false], ["-include", false], ["-imacros", false],
  ["-iquote", false], ["-isystem", false], ["-idirafter", false], ["-isysroot", false], ["--sysroot", false],
  ["-T", false],
]);
/** Joined forms carrying a path: -I<dir>, -L<dir>, --sysroot=<dir> ... */
const JOINED_PATH_PREFIXES: ReadonlyArray<[string, boolean]> = [
  ["--sysroot=", false], ["-iquote", false], ["-isystem", false], ["-idirafter", false], ["-MF", true],
  ["-I", false], ["-L", false],
];
/** Flags after which clang stops before linking. */
const NO_LINK = new Set(["-c", "-S", "-E", "-M", "-MM", "-fsyntax-only", "-emit-llvm"]);
const CXX_SOURCE = /\.(cc|cpp|cxx|c\+\+|C|CC|cp)$/;

export interface CcArgs {
  forcedMode?: CcMode;
  instance?: string;
  showCommand: boolean;
  help: boolean;
  output?: string;
  /** Positional inputs: sources, objects, archives. */
  inputs: string[];
  links: boolean;
  cxx: boolean;
  /** Everything for clang, in order, without our options and without -o. */
  clangArgs: string[];
}

export class UsageError extends Error {}

export function parseCcArgs(argv: readonly string[], invokedAs = "occlum-cc"): CcArgs {
  const r: CcArgs = { showCommand: false, help: false, inputs: [], links: true, cxx: /\+\+$/.test(invokedAs), clangArgs: [] };
  let forceCxx = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      if (i + 1 >= argv.length) throw new UsageError(`option ${a} needs a value`);
      return argv[++i];
    };
    if (a === "--posix") r.forcedMode = "posix";
    else if (a === "--wasip1") r.forcedMode = "wasip1";
    else if (a === "--instance") r.instance = next();
    else if (a.startsWith("--instance=")) r.instance = a.slice("--instance=".length);
    else if (a === "--show-command") r.showCommand = true;
    else if (a === "--help" || a === "-h") r.help = true;
    else if (a === "-o") r.output = next();
    else if (a === "-x") {
      const lang = next();
      if (/c\+\+/.test(lang)) forceCxx = true;
      r.clangArgs.push(a, lang);
    } else if (VALUE_OPTS.has(a) || PATH_OPTS.has(a)) r.clangArgs.push(a, next());
    else if (a.startsWith("-") && a !== "-") {
      if (NO_LINK.has(a)) r.links = false;
      r.clangArgs.push(a);
    } else {
      r.inputs.push(a);
      if (CXX_SOURCE.test(a)) r.cxx = true;
      r.clangArgs.push(a);
    }
  }
  if (forceCxx) r.cxx = true;
  return r;
}

/**
 * Rewrites every path-valued argument (inputs, -I, -L, -o, -MF, --sysroot ...) through `fn`;
 * `isOutput` marks files the compiler writes.
 */
export function mapPathArgs(args: readonly string[], fn: (p: string, isOutput: boolean) => string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const pathOpt = PATH_OPTS.get(a);
    if (pathOpt !== undefined && i + 1 < args.length) {
      out.push(a, fn(args[++i], pathOpt));
    } else if (VALUE_OPTS.has(a) && i + 1 < args.length) {
      out.push(a, args[++i]);
    } else if (a.startsWith("-")) {
      const joined = JOINED_PATH_PREFIXES.find(([p]) => a.startsWith(p) && a.length > p.length);
      out.push(joined ? joined[0] + fn(a.slice(joined[0].length), joined[1]) : a);
    } else {
      out.push(fn(a, false));
    }
  }
  return out;
}

/** The -L folders, resolved against `cwd`. */
export function libraryDirs(args: readonly string[], cwd: string): string[] {
  const dirs: string[] = [];
  mapPathArgs(args, (p) => p).forEach((a, i, all) => {
    if (a === "-L" && i + 1 < all.length) dirs.push(path.resolve(cwd, all[i + 1]));
    else if (a.startsWith("-L") && a.length > 2) dirs.push(path.resolve(cwd, a.slice(2)));
  });
  return dirs;
}
