/**
 * The WebAssembly JS API, typed for the kernel. tsconfig's lib (esnext, no "dom") declares no
 * WebAssembly, so the parts the LibOS uses (including JSPI: Suspending, promising) are typed here
 * once and everything imports `Wasm` from this module.
 */
import { applyJspiStackFlags } from "./jspi-stacks.ts";

export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

export interface WasmModule {
  readonly __brand?: "WasmModule";
}

export interface WasmImportDescriptor {
  module: string;
  name: string;
  kind: "function" | "table" | "memory" | "global" | "tag";
}

export interface WasmExportDescriptor {
  name: string;
  kind: "function" | "table" | "memory" | "global" | "tag";
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export type ImportObject = Record<string, Record<string, unknown>>;

interface WasmApi {
  Memory: new (desc: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: {
    new (bytes: Uint8Array): WasmModule;
    imports(m: WasmModule): WasmImportDescriptor[];
    exports(m: WasmModule): WasmExportDescriptor[];
    customSections(m: WasmModule, name: string): ArrayBuffer[];
  };
  Instance: new (m: WasmModule, imports: ImportObject) => WasmInstance;
  compile(bytes: Uint8Array): Promise<WasmModule>;
  validate(bytes: Uint8Array): boolean;
  instantiate(m: WasmModule, imports: ImportObject): Promise<WasmInstance>;
  Suspending: new (fn: Function) => object;
  promising(fn: Function): (...args: unknown[]) => Promise<unknown>;
  RuntimeError: new (message?: string) => Error;
  CompileError: new (message?: string) => Error;
  LinkError: new (message?: string) => Error;
}

// Before any wasm is compiled: growable JSPI stacks change every function's stack check.
applyJspiStackFlags();

export const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export function isWasmMemory(v: unknown): v is WasmMemory {
  return v instanceof (Wasm.Memory as unknown as Function);
}
