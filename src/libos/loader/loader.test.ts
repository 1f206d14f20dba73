import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { buildGuest } from "../../../test/support/guest.ts";
import { ExecFormatError, isWasm, readImports } from "./wasm-info.ts";
import { compileProgram } from "./loader.ts";

test("readImports: every import with its signature; stubs know the result type", async () => {
  const bytes = await readFile(await buildGuest("test/guest/wasi/unknown_import.c"));
  const imports = readImports(bytes);
  const ext = imports.find((i) => i.module === "occlum_test_ext");
  assert.deepEqual(ext, { module: "occlum_test_ext", name: "no_such_call", kind: "function", type: { params: ["i32"], results: ["i32"] } });
  const fdWrite = imports.find((i) => i.name === "fd_write");
  assert.deepEqual(fdWrite?.kind === "function" && fdWrite.type, { params: ["i32", "i32", "i32", "i32"], results: ["i32"] });
  const p = await compileProgram(bytes);
  assert.deepEqual(p.unsupported, ["occlum_test_ext.no_such_call"]);
  assert.equal(await compileProgram(bytes), p, "cached by content hash");
  assert.ok(p.functionName(0) === undefined || typeof p.functionName(0) === "string");
});

test("non-wasm bytes are an exec format error", async () => {
  assert.equal(isWasm(new TextEncoder().encode("#!/bin/sh\n")), false);
  assert.throws(() => readImports(new Uint8Array([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0])), ExecFormatError);
  await assert.rejects(compileProgram(new TextEncoder().encode("ELF")), ExecFormatError);
  // valid header, garbage body
  await assert.rejects(compileProgram(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0x7f])), ExecFormatError);
});
