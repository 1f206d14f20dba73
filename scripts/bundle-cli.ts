/**
 * Bundles the `occlum` CLI (src/cli/main.ts and everything it imports) into one CommonJS file,
 * dist/occlum.cjs, for start-up time: Node loads one compiled file instead of resolving, reading,
 * type-stripping and linking ~140 modules one by one (bench/startup/README.md measures both).
 * CommonJS rather than an ES module because Node's CJS loader reads and decodes the file natively
 * and compiles it from the compile cache in one step; the ESM loader's decode and link steps cost
 * ~30 ms more for this file on the reference machine.
 * `npm install`/`npm ci` run it (the package's `prepare` script); bin/occlum uses the bundle only
 * while it is fresh and falls back to the sources otherwise, so editing a source file never runs
 * stale code.
 *
 * Freshness: dist/occlum.inputs.json lists every input file with its size and mtime, and the
 * package root the bundle was made in. bin/occlum stats those files at start (a few hundred µs).
 *
 * The instrumenter's fingerprint (loader/precompiled.ts) is computed here and inlined.
 *
 * `import.meta.url` is replaced in each module by that module's own source URL, so the workers
 * the kernel starts by URL (vCPUs, the secure disk's crypto pool) still load their source files;
 * `import.meta.main` by false (no module of the bundle is the process's main module).
 *
 *   node scripts/bundle-cli.ts [--out-dir=dist]
 *
 * Failure to bundle (e.g. esbuild missing) is reported and exits 0 on purpose: the CLI works from
 * the sources, only slower.
 *
 * package.json's `prepare` runs this up to three times: Node 26.10 (V8 14.6) aborts this script in
 * 1.5-5% of runs on the reference VM ("Fatal error: unreachable code" in Turboshaft's wasm
 * instruction selection, on a background compile thread while esbuild's process is spawned;
 * measured over 100-200 runs each with --no-wasm-tier-up, --no-wasm-inlining, --no-wasm-deopt and
 * --single-threaded: none removes it). Such an abort failed `npm ci`; a retry starts afresh.
 */
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const BUNDLE_NAME = "occlum.cjs";
export const INPUTS_NAME = "occlum.inputs.json";

/** The freshness record bin/occlum checks. */
export interface BundleInputs {
  /** The package root (absolute path) the bundle was made in: a moved checkout is stale. */
  root: string;
  /** Input path relative to root → [size, mtimeMs]. */
  files: Record<string, [number, number]>;
}

const pkgRoot = fileURLToPath(new URL("..", import.meta.url));

export async function bundleCli(outDir: string = path.join(pkgRoot, "dist")): Promise<{ bytes: number; inputs: number }> {
  const esbuild = await import("esbuild");
  const { computeInstrumenterFingerprint } = await import("../src/libos/loader/precompiled.ts");
  mkdirSync(outDir, { recursive: true });
  const tmp = path.join(outDir, `.${BUNDLE_NAME}.${process.pid}.tmp`);
  const result = await esbuild.build({
    absWorkingDir: pkgRoot,
    entryPoints: [path.join(pkgRoot, "src/cli/main.ts")],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node24",
    outfile: tmp,
    write: true,
    metafile: true,
    logLevel: "warning",
    legalComments: "none",
    // Whitespace and syntax only: half the bytes to read and compile (~10 ms at start-up), while
    // stack traces keep the kernel's function names (OCCLUM_TS_SOURCES=1 gives source lines).
    minifyWhitespace: true,
    minifySyntax: true,
    // The CommonJS wrapper is part of the file, so bin/occlum compiles the text as read: wrapping
    // it at load (Module.wrap) made a concatenated string that V8 copied flat again (~100 page
    // faults, ~1.5 ms here). The file is therefore a function expression, not a module to require.
    banner: { js: "(function (exports, require, module, __filename, __dirname) {" },
    footer: { js: "})" },
    // Computed here, not at each start (it reads the instrumenter's sources); see precompiled.ts.
    define: { OCCLUM_TS_INSTRUMENTER_FINGERPRINT: JSON.stringify(computeInstrumenterFingerprint()) },
    plugins: [{
      name: "own-import-meta-url",
      setup(build) {
        build.onLoad({ filter: /\.ts$/ }, (args) => {
          const source = readFileSync(args.path, "utf8");
          if (!source.includes("import.meta")) return undefined;
          const own = JSON.stringify(pathToFileURL(args.path).href);
          return { contents: source.replaceAll("import.meta.url", own).replaceAll("import.meta.main", "false"), loader: "ts" };
        });
      },
    }],
  });
  const files: BundleInputs["files"] = {};
  for (const input of Object.keys(result.metafile.inputs)) {
    const abs = path.resolve(pkgRoot, input);
    const st = statSync(abs);
    files[path.relative(pkgRoot, abs)] = [st.size, st.mtimeMs];
  }
  const record: BundleInputs = { root: pkgRoot, files };
  // The inputs file is written first and the bundle renamed last: a reader sees either the old
  // pair, a new record with the old bundle (stale by mtime → sources), or the new pair.
  writeFileSync(path.join(outDir, INPUTS_NAME), JSON.stringify(record));
  renameSync(tmp, path.join(outDir, BUNDLE_NAME));
  return { bytes: statSync(path.join(outDir, BUNDLE_NAME)).size, inputs: Object.keys(files).length };
}

if (import.meta.main) {
  const outArg = process.argv.find((a) => a.startsWith("--out-dir="));
  try {
    const r = await bundleCli(outArg ? path.resolve(outArg.slice("--out-dir=".length)) : undefined);
    process.stdout.write(`occlum-ts: bundled the CLI (${r.inputs} modules, ${(r.bytes / 1024).toFixed(0)} KiB) into dist/${BUNDLE_NAME}\n`);
  } catch (e) {
    process.stderr.write(`occlum-ts: warning: could not bundle the CLI (${(e as Error).message}); bin/occlum will load the sources (slower start-up)\n`);
  }
}
