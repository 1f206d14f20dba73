/**
 * The guest toolchains end to end: occlum-cc builds the smoke guests in both modes, the outputs
 * are valid modules with the imports of their ABI, and the wasip1 one runs under node:wasi (only a
 * sanity oracle here; the LibOS runs guests elsewhere).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, mkdirSync, existsSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { WASI } from "node:wasi";
import { buildGuest, posixSkip } from "./support/guest.ts";
import { detectMode } from "../sdk/occlum-cc.ts";
import { mapPathArgs, parseCcArgs } from "../sdk/cc/args.ts";

// tsconfig's lib (esnext, no "dom") declares no WebAssembly; the few calls used here, typed locally.
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: {
    new (bytes: Uint8Array): object;
    imports(m: object): { module: string; name: string; kind: string }[];
    exports(m: object): { name: string; kind: string }[];
  };
  Instance: new (m: object, imports: object) => object;
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const smoke = (name: string): string => path.join(root, "test", "guest", "smoke", name);

interface MemoryImport {
  module: string;
  name: string;
  shared: boolean;
  max?: number;
}

function leb(bytes: Uint8Array, at: { pos: number }): number {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at.pos++];
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return result;
  }
}

/** The memory imports of a module, with the `shared` flag that WebAssembly.Module.imports hides. */
function memoryImports(bytes: Uint8Array): MemoryImport[] {
  const at = { pos: 8 };
  const name = (): string => {
    const n = leb(bytes, at);
    const s = new TextDecoder().decode(bytes.subarray(at.pos, at.pos + n));
    at.pos += n;
    return s;
  };
  const limits = (): { shared: boolean; max?: number } => {
    const flags = bytes[at.pos++];
    leb(bytes, at);
    const max = flags & 1 ? leb(bytes, at) : undefined;
    return { shared: (flags & 2) !== 0, max };
  };
  while (at.pos < bytes.length) {
    const id = bytes[at.pos++];
    const size = leb(bytes, at);
    if (id !== 2) {
      at.pos += size;
      continue;
    }
    const out: MemoryImport[] = [];
    for (let count = leb(bytes, at); count > 0; count--) {
      const module = name();
      const field = name();
      const kind = bytes[at.pos++];
      if (kind === 0) leb(bytes, at);
      else if (kind === 1) {
        at.pos++;
        limits();
      } else if (kind === 2) out.push({ module, name: field, ...limits() });
      else if (kind === 3) at.pos += 2;
      else if (kind === 4) {
        at.pos++;
        leb(bytes, at);
      } else throw new Error(`unknown import kind ${kind}`);
    }
    return out;
  }
  return [];
}

test("wasip1 guest builds, imports only wasi_snapshot_preview1 and runs under node:wasi", async () => {
  const wasm = await buildGuest(smoke("hello.c"));
  const bytes = readFileSync(wasm);
  assert.ok(Wasm.validate(bytes), "valid module");
  const mod = new Wasm.Module(bytes);
  const modules = new Set(Wasm.Module.imports(mod).map((i) => i.module));
  assert.deepEqual([...modules], ["wasi_snapshot_preview1"]);
  assert.ok(Wasm.Module.exports(mod).some((e) => e.name === "_start"));

  const dir = mkdtempSync(path.join(os.tmpdir(), "occlum-smoke-"));
  try {
    const outFile = path.join(dir, "stdout");
    const fd = openSync(outFile, "w");
    const wasi = new WASI({ version: "preview1", args: ["hello", "a b", "c"], env: { SMOKE_WHO: "tests" }, stdout: fd, returnOnExit: true });
    const status = wasi.start(new Wasm.Instance(mod, { wasi_snapshot_preview1: wasi.wasiImport }));
    closeSync(fd);
    assert.equal(status, 0);
    assert.equal(readFileSync(outFile, "utf8"), "hello from wasip1, argc=3\nargv[1]=a b\nargv[2]=c\nSMOKE_WHO=tests\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("POSIX guest builds against wasix-libc with shared imported memory", { skip: posixSkip() }, async () => {
  const wasm = await buildGuest(smoke("posix_hello.c"));
  const bytes = readFileSync(wasm);
  assert.ok(Wasm.validate(bytes), "valid module");
  const mod = new Wasm.Module(bytes);
  const imports = Wasm.Module.imports(mod);
  const names = new Set(imports.map((i) => `${i.module}.${i.name}`));
  // waitpid goes through occlum.waitpid (sdk/libc/wait.c: WCONTINUED, Linux's option errors), not proc_join
  for (const needed of ["wasix_32v1.proc_spawn2", "occlum.waitpid", "wasix_32v1.futex_wait", "wasi.thread-spawn"]) {
    assert.ok(names.has(needed), `imports ${needed}`);
  }
  assert.deepEqual(memoryImports(bytes), [{ module: "env", name: "memory", shared: true, max: 268435456 / 65536 }]);
  const exports = new Set(Wasm.Module.exports(mod).map((e) => e.name));
  assert.ok(exports.has("wasi_thread_start") && exports.has("_start"), "exports the thread and process entries");
});

test("occlum-cc CLI: --instance writes into image/bin, missing POSIX toolchain is one clear line", { skip: posixSkip() }, () => {
  const cli = path.join(root, "bin", "occlum-cc");
  const dir = mkdtempSync(path.join(os.tmpdir(), "occlum-cc-cli-"));
  try {
    mkdirSync(path.join(dir, "inst", "image"), { recursive: true });
    const ok = spawnSync(process.execPath, [cli, "--instance", path.join(dir, "inst"), smoke("posix_hello.c")], { encoding: "utf8" });
    assert.equal(ok.status, 0, ok.stderr);
    const out = path.join(dir, "inst", "image", "bin", "posix_hello");
    assert.ok(existsSync(out) && Wasm.validate(readFileSync(out)));

    const missing = spawnSync(process.execPath, [cli, smoke("posix_hello.c"), "-o", path.join(dir, "x.wasm")], {
      encoding: "utf8",
      env: { ...process.env, OCCLUM_WASIX_SYSROOT: path.join(dir, "nowhere") },
    });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^occlum-cc: error: POSIX mode: wasix-libc sysroot missing at .*setup-wasix\.sh`\n$/);

    const notInstance = spawnSync(process.execPath, [cli, "--instance", dir, smoke("hello.c")], { encoding: "utf8" });
    assert.equal(notInstance.status, 1);
    assert.match(notInstance.stderr, /is not an Occlum instance/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("mode detection: POSIX headers (also through local headers), -pthread, forcing", (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "occlum-cc-mode-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };
  const plain = file("plain.c", '#include <stdio.h>\n#include "util.h"\nint main(void) { return 0; }\n');
  file("util.h", "#include <string.h>\n");
  assert.equal(detectMode([plain]), "wasip1");
  assert.equal(detectMode([plain], ["-pthread"]), "posix");
  assert.equal(detectMode([plain], [], "posix"), "posix");
  for (const header of ["pthread.h", "spawn.h", "sys/wait.h", "signal.h", "sys/socket.h", "netinet/in.h", "poll.h", "sys/epoll.h"]) {
    const src = file("p.c", `  # include <${header}>\nint main(void) { return 0; }\n`);
    assert.equal(detectMode([src]), "posix", header);
    assert.equal(detectMode([src], [], "wasip1"), "wasip1");
  }
  const viaHeader = file("indirect.c", '#include "net.h"\nint main(void) { return 0; }\n');
  file("net.h", "#include <sys/socket.h>\n");
  assert.equal(detectMode([viaHeader]), "posix");
  // A local file named like a POSIX header shadows it for a quoted include.
  const shadow = file("shadow.c", '#include "signal.h"\nint main(void) { return 0; }\n');
  file("signal.h", "#define SIGX 1\n");
  assert.equal(detectMode([shadow]), "wasip1");
});

test("argument parsing: inputs, outputs, our options, path rewriting", () => {
  const a = parseCcArgs(["--posix", "-O1", "-Iinc", "-D", "X=1", "-c", "a.c", "b.cpp", "-o", "out.o", "--instance=i", "-lm"]);
  assert.equal(a.forcedMode, "posix");
  assert.equal(a.instance, "i");
  assert.equal(a.output, "out.o");
  assert.deepEqual(a.inputs, ["a.c", "b.cpp"]);
  assert.equal(a.links, false);
  assert.equal(a.cxx, true);
  assert.deepEqual(a.clangArgs, ["-O1", "-Iinc", "-D", "X=1", "-c", "a.c", "b.cpp", "-lm"]);
  assert.throws(() => parseCcArgs(["a.c", "-o"]), /-o needs a value/);
  const mapped = mapPathArgs(["-Iinc", "-I", "x", "-D", "Y", "a.c", "-o", "o.wasm", "-MF", "d", "--sysroot=/s", "-lm", "-x", "c"], (p, out) => `${out ? "W" : "R"}(${p})`);
  assert.deepEqual(mapped, ["-IR(inc)", "-I", "R(x)", "-D", "Y", "R(a.c)", "-o", "W(o.wasm)", "-MF", "W(d)", "--sysroot=R(/s)", "-lm", "-x", "c"]);
});
