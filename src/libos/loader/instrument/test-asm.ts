/**
 * Test-only assembler: byte builders for small hand-made modules (so the instrumenter's tests need
 * no wat2wasm). Not used by the kernel.
 */

import { FUEL_EXPORT } from "./contract.ts";

// tsconfig's lib (esnext, no "dom") declares no WebAssembly: the calls tests and benches use, typed here.
export interface WasmGlobal { value: unknown }
export interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  Module: {
    new (bytes: Uint8Array): object;
    imports(m: object): { module: string; name: string; kind: string }[];
    exports(m: object): { name: string; kind: string }[];
    customSections(m: object, name: string): ArrayBuffer[];
  };
  Instance: new (m: object, imports: object) => { exports: Record<string, unknown> };
  Global: new (desc: { value: string; mutable: boolean }, v: unknown) => WasmGlobal;
  RuntimeError: new (message?: string) => Error;
  /** JSPI (Node >= 24). */
  Suspending: new (fn: (...args: never[]) => unknown) => object;
  promising: (fn: unknown) => (...args: unknown[]) => Promise<unknown>;
}
export const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export const T = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b, funcref: 0x70, externref: 0x6f } as const;

export function uleb(v: number | bigint): number[] {
  let x = BigInt(v);
  const out: number[] = [];
  do {
    let byte = Number(x & 0x7fn);
    x >>= 7n;
    if (x !== 0n) byte |= 0x80;
    out.push(byte);
  } while (x !== 0n);
  return out;
}

export function sleb(v: number | bigint): number[] {
  let x = BigInt(v);
  const out: number[] = [];
  for (;;) {
    const byte = Number(x & 0x7fn);
    x >>= 7n;
    if ((x === 0n && (byte & 0x40) === 0) || (x === -1n && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

export function str(s: string): number[] {
  const b = [...new TextEncoder().encode(s)];
  return [...uleb(b.length), ...b];
}

export function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/** Instruction helpers (each returns the instruction's bytes). */
export const I = {
  unreachable: [0x00], nop: [0x01], end: [0x0b], else: [0x05], return: [0x0f], drop: [0x1a], select: [0x1b],
  block: (bt = 0x40) => [0x02, bt], loop: (bt = 0x40) => [0x03, bt], if: (bt = 0x40) => [0x04, bt],
  br: (l: number) => [0x0c, ...uleb(l)], brIf: (l: number) => [0x0d, ...uleb(l)],
  call: (f: number) => [0x10, ...uleb(f)], returnCall: (f: number) => [0x12, ...uleb(f)],
  callIndirect: (t: number, table = 0) => [0x11, ...uleb(t), ...uleb(table)],
  localGet: (i: number) => [0x20, ...uleb(i)], localSet: (i: number) => [0x21, ...uleb(i)],
  localTee: (i: number) => [0x22, ...uleb(i)],
  globalGet: (i: number) => [0x23, ...uleb(i)], globalSet: (i: number) => [0x24, ...uleb(i)],
  i32Const: (v: number) => [0x41, ...sleb(v)], i64Const: (v: number | bigint) => [0x42, ...sleb(v)],
  i32Add: [0x6a], i32Sub: [0x6b], i32Mul: [0x6c], i32Eqz: [0x45], i32Eq: [0x46], i32Ne: [0x47], i32LtS: [0x48],
  i32GtS: [0x4a], i32LtU: [0x49], i32GeU: [0x4f], i32And: [0x71], i32Xor: [0x73], i32Shl: [0x74],
  i32ShrU: [0x76], i32Rotl: [0x77],
  i32Load: (off = 0, align = 2) => [0x28, ...uleb(align), ...uleb(off)],
  i32Store: (off = 0, align = 2) => [0x36, ...uleb(align), ...uleb(off)],
  refFunc: (f: number) => [0xd2, ...uleb(f)], refNull: (t: number) => [0xd0, t],
  atomicNotify: (off = 0, align = 2) => [0xfe, 0x00, ...uleb(align), ...uleb(off)],
  atomicWait32: (off = 0, align = 2) => [0xfe, 0x01, ...uleb(align), ...uleb(off)],
  atomicWait64: (off = 0, align = 3) => [0xfe, 0x02, ...uleb(align), ...uleb(off)],
  atomicFence: [0xfe, 0x03, 0x00],
};

interface Func { type: number; locals: [number, number][]; body: number[] }

/** A module under construction. Declare imports before defined functions. */
export class ModuleBuilder {
  private types: number[][] = [];
  private imports: number[][] = [];
  private funcs: Func[] = [];
  private tables: number[][] = [];
  private memories: number[][] = [];
  private tags: number[][] = [];
  private globals: number[][] = [];
  private exports: number[][] = [];
  private startFunc = -1;
  private elems: number[][] = [];
  private datas: number[][] = [];
  private customs: { name: string; bytes: number[]; first: boolean }[] = [];
  private importedFuncs = 0;
  private importedGlobals = 0;

  type(params: number[], results: number[]): number {
    this.types.push([0x60, ...vec(params.map((p) => [p])), ...vec(results.map((r) => [r]))]);
    return this.types.length - 1;
  }

  /** A type entry given as its bytes (multi-byte value types, rec groups). */
  rawType(bytes: number[]): number {
    this.types.push(bytes);
    return this.types.length - 1;
  }

  importFunc(module: string, name: string, type: number): number {
    if (this.funcs.length) throw new Error("declare imports first");
    this.imports.push([...str(module), ...str(name), 0, ...uleb(type)]);
    return this.importedFuncs++;
  }

  importGlobal(module: string, name: string, type: number, mutable: boolean): number {
    this.imports.push([...str(module), ...str(name), 3, type, mutable ? 1 : 0]);
    return this.importedGlobals++;
  }

  importMemory(module: string, name: string, min: number, max?: number, shared = false): void {
    this.imports.push([...str(module), ...str(name), 2, ...limits(min, max, shared)]);
  }

  func(type: number, body: number[][], locals: [number, number][] = []): number {
    this.funcs.push({ type, locals, body: [...body.flat(), 0x0b] });
    return this.importedFuncs + this.funcs.length - 1;
  }

  memory(min: number, max?: number, shared = false, is64 = false): void {
    const l = limits(min, max, shared);
    if (is64) l[0]! |= 4;
    this.memories.push(l);
  }

  table(min: number, elemType: number = T.funcref): void {
    this.tables.push([elemType, 0x00, ...uleb(min)]);
  }

  tag(type: number): number {
    this.tags.push([0x00, ...uleb(type)]);
    return this.tags.length - 1;
  }

  global(type: number, mutable: boolean, init: number[][]): number {
    this.globals.push([type, mutable ? 1 : 0, ...init.flat(), 0x0b]);
    return this.importedGlobals + this.globals.length - 1;
  }

  export(name: string, kind: "func" | "table" | "memory" | "global" | "tag", index: number): void {
    const k = { func: 0, table: 1, memory: 2, global: 3, tag: 4 }[kind];
    this.exports.push([...str(name), k, ...uleb(index)]);
  }

  start(f: number): void {
    this.startFunc = f;
  }

  /** A raw element segment (flags byte and the rest). */
  elem(bytes: number[]): void {
    this.elems.push(bytes);
  }

  data(offset: number, bytes: number[]): void {
    this.datas.push([0x00, 0x41, ...sleb(offset), 0x0b, ...uleb(bytes.length), ...bytes]);
  }

  custom(name: string, bytes: number[], first = false): void {
    this.customs.push({ name, bytes, first });
  }

  build(): Uint8Array {
    const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const section = (id: number, payload: number[]) => out.push(id, ...uleb(payload.length), ...payload);
    const customs = (first: boolean) => {
      for (const c of this.customs) if (c.first === first) section(0, [...str(c.name), ...c.bytes]);
    };
    customs(true);
    if (this.types.length) section(1, vec(this.types));
    if (this.imports.length) section(2, vec(this.imports));
    if (this.funcs.length) section(3, vec(this.funcs.map((f) => uleb(f.type))));
    if (this.tables.length) section(4, vec(this.tables));
    if (this.memories.length) section(5, vec(this.memories));
    if (this.tags.length) section(13, vec(this.tags));
    if (this.globals.length) section(6, vec(this.globals));
    if (this.exports.length) section(7, vec(this.exports));
    if (this.startFunc >= 0) section(8, uleb(this.startFunc));
    if (this.elems.length) section(9, vec(this.elems));
    if (this.datas.length) section(12, uleb(this.datas.length));
    if (this.funcs.length) {
      section(10, vec(this.funcs.map((f) => {
        const body = [...vec(f.locals.map(([n, t]) => [...uleb(n), t])), ...f.body];
        return [...uleb(body.length), ...body];
      })));
    }
    if (this.datas.length) section(11, vec(this.datas));
    customs(false);
    return new Uint8Array(out);
  }
}

function limits(min: number, max: number | undefined, shared: boolean): number[] {
  const flags = (max !== undefined ? 1 : 0) | (shared ? 2 : 0);
  return [flags, ...uleb(min), ...(max !== undefined ? uleb(max) : [])];
}

/** Encode a name section: function names and local names. */
export function nameSection(funcs: [number, string][], locals: [number, [number, string][]][] = []): number[] {
  const sub = (id: number, payload: number[]) => [id, ...uleb(payload.length), ...payload];
  const out: number[] = [];
  out.push(...sub(0, str("testmod")));
  if (funcs.length) out.push(...sub(1, vec(funcs.map(([i, n]) => [...uleb(i), ...str(n)]))));
  if (locals.length) {
    out.push(...sub(2, vec(locals.map(([f, ls]) => [...uleb(f), ...vec(ls.map(([i, n]) => [...uleb(i), ...str(n)]))]))));
  }
  return out;
}

/**
 * Decode a module's name section for assertions: function names (subsection 1), and local names
 * (subsection 2) as "function index -> 'local:name,...'".
 */
export function functionNames(module: Uint8Array): Map<number | string, string> {
  const names = new Map<number | string, string>();
  const customs = Wasm.Module.customSections(new Wasm.Module(module), "name");
  if (!customs.length) return names;
  const b = new Uint8Array(customs[0]!);
  let p = 0;
  const u = (): number => {
    let r = 0;
    let s = 0;
    for (;;) {
      const x = b[p++]!;
      r |= (x & 0x7f) << s;
      if (!(x & 0x80)) return r >>> 0;
      s += 7;
    }
  };
  while (p < b.length) {
    const id = b[p++]!;
    const size = u();
    const end = p + size;
    const name = (): string => {
      const len = u();
      p += len;
      return new TextDecoder().decode(b.subarray(p - len, p));
    };
    if (id === 1) {
      for (let n = u(); n > 0; n--) {
        const idx = u();
        names.set(idx, name());
      }
    } else if (id === 2) {
      for (let n = u(); n > 0; n--) {
        const f = u();
        const locals: string[] = [];
        for (let m = u(); m > 0; m--) locals.push(`${u()}:${name()}`);
        names.set(`locals of ${f}`, locals.join(","));
      }
    }
    p = end;
  }
  return names;
}

/**
 * Instantiates an instrumented module whose `occlum.yield_check` counts its calls and refills the
 * fuel global (when the module has one) with `fuel`, throwing "preempted" at call `stopAfter`.
 * `imports` adds an `env` module and more `occlum` functions. An invalid module throws with V8's
 * reason.
 */
export function instantiateFueled(
  bytes: Uint8Array,
  fuel: number,
  stopAfter = Infinity,
  imports: { env?: Record<string, unknown>; occlum?: Record<string, unknown> } = {},
): { yields: number; exports: Record<string, unknown> } {
  if (!Wasm.validate(bytes)) {
    new Wasm.Module(bytes); // throws with V8's reason
    throw new Error("module does not validate");
  }
  const st = { yields: 0, exports: {} as Record<string, unknown> };
  const inst = new Wasm.Instance(new Wasm.Module(bytes), {
    env: imports.env ?? {},
    occlum: {
      yield_check: () => {
        if (++st.yields >= stopAfter) throw new Error("preempted");
        const g = st.exports[FUEL_EXPORT] as WasmGlobal | undefined;
        if (g) g.value = fuel;
      },
      ...imports.occlum,
    },
  });
  st.exports = inst.exports as Record<string, unknown>;
  return st;
}

/**
 * Two self-recursive functions that neither fuel passing nor self-inlining takes, as functions 0
 * and 1 of a fresh module: `tail` (a return_call; tail(n) = 7) and `two` (two results; two(n) =
 * [1, 2]).
 */
export function tailAndTwoResults(m: ModuleBuilder): void {
  const ii = m.type([T.i32], [T.i32]);
  const i2 = m.type([T.i32], [T.i32, T.i32]);
  const v2 = m.type([], [T.i32, T.i32]);
  m.export("tail", "func", m.func(ii, [
    I.localGet(0), I.i32Eqz, I.if(T.i32), I.i32Const(7), I.else, I.localGet(0), I.i32Const(1), I.i32Sub, I.returnCall(0), I.end,
  ]));
  m.export("two", "func", m.func(i2, [
    I.localGet(0), I.i32Eqz, I.if(v2), I.i32Const(1), I.i32Const(2), I.else, I.localGet(0), I.i32Const(1), I.i32Sub, I.call(1), I.end,
  ]));
}

/** sum(n) = 0 + 1 + ... + (n-1) with a loop; fib(n) recursive; leaf(x) = x*3. */
export function loopsAndRecursion(): Uint8Array {
  const m = new ModuleBuilder();
  const ii = m.type([T.i32], [T.i32]);
  const sum = m.func(ii, [
    I.block(), I.loop(),
    I.localGet(1), I.localGet(0), I.i32GeU, I.brIf(1),
    I.localGet(2), I.localGet(1), I.i32Add, I.localSet(2),
    I.localGet(1), I.i32Const(1), I.i32Add, I.localSet(1),
    I.br(0), I.end, I.end, I.localGet(2),
  ], [[2, T.i32]]);
  const fib = 1;
  m.func(ii, [
    I.localGet(0), I.i32Const(2), I.i32LtS, I.if(T.i32), I.localGet(0), I.else,
    I.localGet(0), I.i32Const(1), I.i32Sub, I.call(fib),
    I.localGet(0), I.i32Const(2), I.i32Sub, I.call(fib), I.i32Add, I.end,
  ]);
  const leaf = m.func(ii, [I.localGet(0), I.i32Const(3), I.i32Mul]);
  m.export("sum", "func", sum);
  m.export("fib", "func", fib);
  m.export("leaf", "func", leaf);
  return m.build();
}
