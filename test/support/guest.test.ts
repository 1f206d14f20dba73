/**
 * buildGuest: cache keys follow the inputs (source, local headers, flags, mode), repeated and
 * concurrent builds share one output, failures carry the compiler's diagnostics.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildGuest, hasPosixToolchain, posixSkip } from "./guest.ts";

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

const here = path.dirname(fileURLToPath(import.meta.url));

// Fixed contents, so reruns hit the cache instead of filling .cache/guests with new keys.
function fixture(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "occlum-guest-"));
  writeFileSync(path.join(dir, "main.c"), '#include "value.h"\nint main(void) { return VALUE - 3; }\n');
  writeFileSync(path.join(dir, "value.h"), "#define VALUE 3\n");
  return dir;
}

test("same inputs give the same cached file; header, flags and mode change the key", async (t) => {
  const dir = fixture();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const src = path.join(dir, "main.c");
  const [a, a2] = await Promise.all([buildGuest(src), buildGuest(src)]);
  assert.equal(a, a2);
  assert.match(path.basename(a), /^[0-9a-f]{64}\.wasm$/);
  assert.ok(Wasm.validate(readFileSync(a)));
  const mtime = statSync(a).mtimeMs;
  assert.equal(await buildGuest(src), a);
  assert.equal(statSync(a).mtimeMs, mtime, "a cache hit does not rewrite the file");

  const withFlag = await buildGuest(src, { flags: ["-DUNUSED=1"] });
  assert.notEqual(withFlag, a);

  writeFileSync(path.join(dir, "value.h"), "#define VALUE 4\n");
  const edited = await buildGuest(src);
  assert.notEqual(edited, a, "an included local header is part of the key");

  if (hasPosixToolchain()) {
    const posix = await buildGuest(src, { mode: "posix" });
    assert.notEqual(posix, edited);
    const mods = new Set(Wasm.Module.imports(new Wasm.Module(readFileSync(posix))).map((i) => i.module));
    assert.ok(mods.has("env"), "POSIX build imports its memory");
  }
});

test("a compile error rejects with the diagnostics", async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "occlum-guest-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const src = path.join(dir, "broken.c");
  writeFileSync(src, "int main(void) { return undeclared_thing; }\n");
  await assert.rejects(buildGuest(src), /broken\.c:1:.*undeclared_thing/);
});

test("a forced wasip1 build of a POSIX source fails on the missing header", async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "occlum-guest-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const src = path.join(dir, "spawner.c");
  writeFileSync(src, "#include <spawn.h>\nint main(void) { return 0; }\n");
  await assert.rejects(buildGuest(src, { mode: "wasip1" }), /spawn\.h' file not found/);
});

function childBuild(src: string): Promise<string> {
  const code = `import { buildGuest } from ${JSON.stringify(path.join(here, "guest.ts"))};
process.stdout.write(await buildGuest(${JSON.stringify(src)}));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.stderr.on("data", (d: Buffer) => (err += d));
    child.on("close", (status) => (status === 0 ? resolve(out) : reject(new Error(`child failed (${status}): ${err}`))));
  });
}

test("two processes building the same guest at once both get a complete file", { skip: posixSkip() }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "occlum-guest-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const src = path.join(dir, "race.c");
  // Unique content: the race must happen on a key nobody built before.
  writeFileSync(src, `#include <pthread.h>\nint main(void) { return 0; } /* ${process.pid}-${Date.now()} */\n`);
  const [a, b] = await Promise.all([childBuild(src), childBuild(src)]);
  assert.equal(a, b);
  assert.ok(Wasm.validate(readFileSync(a)));
  rmSync(a); // keep the cache from collecting one-off keys
});
