/**
 * Types for the WebAssembly JS API as Node 26 provides it, including JSPI (`Suspending`,
 * `promising`). TypeScript ships these only in lib.dom, which would also bring browser globals
 * into a Node program, so the subset we use is declared here.
 */
declare namespace WebAssembly {
  type ImportValue = ExportValue | number | bigint;
  type ExportValue = Function | Global | Memory | Table | Tag;
  type Exports = Record<string, ExportValue>;
  type ModuleImports = Record<string, ImportValue>;
  type Imports = Record<string, ModuleImports>;
  type ImportExportKind = "function" | "global" | "memory" | "table" | "tag";
  type ValueType = "i32" | "i64" | "f32" | "f64" | "v128" | "anyfunc" | "externref" | "funcref";
  type BufferSource = ArrayBufferView | ArrayBuffer;

  interface ModuleExportDescriptor {
    kind: ImportExportKind;
    name: string;
  }
  interface ModuleImportDescriptor {
    kind: ImportExportKind;
    module: string;
    name: string;
  }
  interface WebAssemblyInstantiatedSource {
    instance: Instance;
    module: Module;
  }

  class Module {
    constructor(bytes: BufferSource);
    static customSections(module: Module, sectionName: string): ArrayBuffer[];
    static exports(module: Module): ModuleExportDescriptor[];
    static imports(module: Module): ModuleImportDescriptor[];
  }

  class Instance {
    constructor(module: Module, importObject?: Imports);
    readonly exports: Exports;
  }

  interface MemoryDescriptor {
    initial: number;
    maximum?: number;
    shared?: boolean;
    address?: "i32" | "i64";
  }
  class Memory {
    constructor(descriptor: MemoryDescriptor);
    readonly buffer: ArrayBuffer | SharedArrayBuffer;
    grow(delta: number): number;
  }

  interface GlobalDescriptor<T extends ValueType = ValueType> {
    mutable?: boolean;
    value: T;
  }
  class Global<T extends ValueType = ValueType> {
    constructor(descriptor: GlobalDescriptor<T>, v?: unknown);
    value: any;
    valueOf(): any;
  }

  interface TableDescriptor {
    element: "anyfunc" | "externref" | "funcref";
    initial: number;
    maximum?: number;
  }
  class Table {
    constructor(descriptor: TableDescriptor, value?: unknown);
    readonly length: number;
    get(index: number): any;
    grow(delta: number, value?: unknown): number;
    set(index: number, value?: unknown): void;
  }

  interface TagType {
    parameters: ValueType[];
  }
  class Tag {
    constructor(type: TagType);
  }
  class Exception {
    constructor(tag: Tag, payload: unknown[], options?: { traceStack?: boolean });
    readonly stack: string | undefined;
    getArg(tag: Tag, index: number): unknown;
    is(tag: Tag): boolean;
  }

  class CompileError extends Error {}
  class LinkError extends Error {}
  class RuntimeError extends Error {}
  /** Thrown by JSPI when a suspending import is reached without a `promising` frame. */
  class SuspendError extends Error {}

  /** JSPI: wraps an async host function so a wasm caller suspends until its promise settles. */
  class Suspending {
    constructor(fn: (...args: any[]) => unknown);
  }
  /** JSPI: wraps an exported wasm function so calling it returns a Promise (a new stack). */
  function promising(fn: Function): (...args: any[]) => Promise<any>;

  function compile(bytes: BufferSource): Promise<Module>;
  function instantiate(bytes: BufferSource, importObject?: Imports): Promise<WebAssemblyInstantiatedSource>;
  function instantiate(moduleObject: Module, importObject?: Imports): Promise<Instance>;
  function validate(bytes: BufferSource): boolean;
}
