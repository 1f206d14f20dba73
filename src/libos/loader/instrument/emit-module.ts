/**
 * Writes the instrumented module: every section in order, the touched ones (types, imports,
 * functions, globals, exports, start, elements, tables, code, names) extended or renumbered as
 * the Plan says (plan.ts), the ones the module lacks synthesized in their place, everything else
 * copied byte for byte. Function bodies are emit-body.ts's.
 */

import { ByteWriter, InstrumentError, lebEnd, readU32 } from "./bytes.ts";
import { FUEL_EXPORT, KERNEL_MODULE } from "./contract.ts";
import { bodyWriter } from "./emit-body.ts";
import { writeCloneType } from "./fuel-pass.ts";
import { type Section, SectionId, sectionRank } from "./module-info.ts";
import { type AddedName, rewriteNames } from "./names.ts";
import { type Plan, specOf } from "./plan.ts";
import { copyElements, copyExportEntries, copyGlobalEntries, copyTables } from "./remap.ts";

/** The bytes of module `b` instrumented as `plan` says. */
export function writeModule(b: Uint8Array, plan: Plan): Uint8Array {
  const {
    info, options, bodies, events, sites, preempt, covered, specs, K, shift, importIndex, typeIndex, helperBase,
    helperCount, fuelGlobal, fp, cloneBase, cloneTypeBase, refuelIndex, refuelType,
  } = plan;
  const refuel = refuelIndex >= 0 ? 1 : 0;
  const out = new ByteWriter(b.length + (b.length >> 2) + 1024);
  out.range(b, 0, 8);
  const { hints, emitBody, emitWrapper, writeHelper, writeRefuel } = bodyWriter(b, plan, out);

  // --- writers for each section we touch -------------------------------------------------------
  const section = (id: number, body: () => void): void => {
    out.byte(id);
    const mark = out.reserveLength();
    body();
    out.patchLength(mark);
  };
  const vecWith = (s: Section | undefined, extra: number, copyEntries: (p: number, n: number) => void): void => {
    let n = 0;
    let p = 0;
    if (s) {
      n = readU32(b, s.start);
      p = lebEnd[0]!;
    }
    out.u32(n + extra);
    if (s) copyEntries(p, n);
  };

  const writeTypes = (s?: Section) => section(SectionId.Type, () => {
    vecWith(s, K + fp.types.length + refuel, (p) => out.range(b, p, s!.end));
    for (const spec of specs) out.bytes(spec.type);
    for (const t of fp.types) writeCloneType(b, info, t, out);
    if (refuel) out.bytes([0x60, 1, 0x7f, 1, 0x7f]);
  });
  const writeImports = (s?: Section) => section(SectionId.Import, () => {
    vecWith(s, K, (p) => out.range(b, p, s!.end));
    for (const spec of specs) {
      out.name(KERNEL_MODULE);
      out.name(spec.name);
      out.byte(0);
      out.u32(typeIndex.get(spec.name)!);
    }
  });
  const writeFunctions = (s?: Section) => section(SectionId.Function, () => {
    vecWith(s, helperCount + fp.clones.length + refuel, (p) => out.range(b, p, s!.end));
    for (let j = 0; j < helperCount; j++) out.u32(typeIndex.get(specOf(sites!.ops[j]!).name)!);
    for (const i of fp.clones) out.u32(cloneTypeBase + fp.typeSlot.get(info.funcTypes[i]!)!);
    if (refuel) out.u32(refuelType);
  });
  const writeGlobals = (s?: Section) => section(SectionId.Global, () => {
    vecWith(s, preempt ? 1 : 0, (p, n) => copyGlobalEntries(b, p, s!.end, n, out, shift));
    if (preempt) {
      out.bytes([0x7f, 0x01, 0x41]);
      out.i32(options.initialFuel ?? 1024 * plan.callsPerUnit);
      out.byte(0x0b);
    }
  });
  const writeExports = (s?: Section) => section(SectionId.Export, () => {
    vecWith(s, preempt ? 1 : 0, (p, n) => copyExportEntries(b, p, s!.end, n, out, shift));
    if (preempt) {
      out.name(FUEL_EXPORT);
      out.byte(0x03);
      out.u32(fuelGlobal);
    }
  });

  // The checks' slow-path branches marked unlikely (the branch-hinting proposal's
  // metadata.code.branch_hint section, which V8 reads when it comes before the code section):
  // V8 then lays the slow paths out of line, which took fib's loop check from +14% to +10% on a
  // hand-written copy (bench/instrument/README.md, ninth round). Offsets are known only once the
  // bodies are written, so the section is put in front of the code section afterwards.
  const writeHints = (codeStart: number): void => {
    if (hints.length === 0) return;
    const h = new ByteWriter(64 + hints.length * 8);
    h.name("metadata.code.branch_hint");
    h.u32(hints.length);
    for (const { func, offsets } of hints) {
      h.u32(func);
      h.u32(offsets.length);
      for (const off of offsets) {
        h.u32(off);
        h.byte(1); // payload size
        h.byte(0); // unlikely
      }
    }
    const code = out.buf.slice(codeStart, out.len);
    out.len = codeStart;
    out.byte(SectionId.Custom);
    out.u32(h.len);
    out.range(h.buf, 0, h.len);
    out.range(code, 0, code.length);
  };

  const writeCode = (s: Section) => section(SectionId.Code, () => {
    out.u32(bodies.count + helperCount + fp.clones.length + refuel);
    for (let i = 0; i < bodies.count; i++) {
      if (fp.cloneOf[i]! >= 0) emitWrapper(i);
      else emitBody(i, events, bodies.firstEvent[i]!, bodies.firstEvent[i + 1]!, covered, false);
    }
    for (let j = 0; j < helperCount; j++) writeHelper(sites!.ops[j]!, sites!.offsets[j]!);
    fp.clones.forEach((i, j) => emitBody(i, fp.events, fp.firstEvent[j]!, fp.firstEvent[j + 1]!, fp.covered, true));
    if (refuel) writeRefuel();
    void s;
  });

  const writeNames = (s: Section): void => {
    const added: AddedName[] = specs.map((spec) => ({
      index: importIndex.get(spec.name)!, name: `${KERNEL_MODULE}.${spec.name}`,
    }));
    for (let j = 0; j < helperCount; j++) {
      const name = specOf(sites!.ops[j]!).name;
      added.push({ index: helperBase + j, name: `__occlum_${name}_off${sites!.offsets[j]}` });
    }
    fp.clones.forEach((i, j) => added.push({
      index: cloneBase + j, name: `__occlum_fuel_pass_${i + info.importedFuncs}`, nameOf: i + info.importedFuncs,
    }));
    if (refuel) added.push({ index: refuelIndex, name: "__occlum_refuel" });
    const tmp = new ByteWriter(s.end - s.start + 256);
    try {
      rewriteNames(b, s.contentStart!, s.end, tmp, shift.from, shift.by, added);
    } catch (e) {
      if (e instanceof InstrumentError) return; // a broken name section is dropped: names are advisory
      throw e;
    }
    out.byte(0);
    const mark = out.reserveLength();
    out.name("name");
    out.range(tmp.buf, 0, tmp.len);
    out.patchLength(mark);
  };

  // Sections we must create when the module lacks them, by id.
  const synthesize = new Map<number, () => void>([
    [SectionId.Type, () => writeTypes()],
    [SectionId.Import, () => writeImports()],
  ]);
  if (helperCount > 0 || fp.clones.length > 0) synthesize.set(SectionId.Function, () => writeFunctions());
  if (preempt) {
    synthesize.set(SectionId.Global, () => writeGlobals());
    synthesize.set(SectionId.Export, () => writeExports());
  }
  const flushBefore = (rank: number): void => {
    for (const [id, write] of synthesize) {
      if (sectionRank[id]! < rank) {
        synthesize.delete(id);
        write();
      }
    }
  };

  for (const s of info.sections) {
    if (s.id !== SectionId.Custom) {
      flushBefore(sectionRank[s.id]!);
      synthesize.delete(s.id);
    }
    switch (s.id) {
      case SectionId.Type: writeTypes(s); break;
      case SectionId.Import: writeImports(s); break;
      case SectionId.Function: writeFunctions(s); break;
      case SectionId.Table: section(s.id, () => copyTables(b, s.start, s.end, out, shift)); break;
      case SectionId.Global: writeGlobals(s); break;
      case SectionId.Export: writeExports(s); break;
      case SectionId.Start: section(s.id, () => {
        const idx = readU32(b, s.start);
        out.u32(idx >= shift.from ? idx + K : idx);
      }); break;
      case SectionId.Element: section(s.id, () => copyElements(b, s.start, s.end, out, shift)); break;
      case SectionId.Code: {
        const codeStart = out.len;
        writeCode(s);
        writeHints(codeStart);
        break;
      }
      case SectionId.Custom:
        if (s.name === "name") writeNames(s);
        // Code-offset metadata would point into the wrong instructions now: drop it.
        else if (!s.name!.startsWith("metadata.code.")) out.range(b, s.headerStart, s.end);
        break;
      default: out.range(b, s.headerStart, s.end);
    }
  }
  flushBefore(Infinity);

  return out.finish();
}
