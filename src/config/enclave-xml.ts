/**
 * build/Enclave.xml, byte-identical to Occlum's generator (spec 2.5).
 *
 * serde-xml-rs 0.4 writes one line: no XML declaration, no indentation, no trailing newline,
 * `<Name>value</Name>` per field in struct order, numbers in decimal. UserRegionSize appears only
 * when set (EDMM). All values are numeric or the fixed Misc strings, so nothing needs escaping.
 */
import type { EnclaveLayout } from "./resolve.ts";

/** Element order of Occlum's EnclaveConfiguration struct (the ms_buffer field is never built here). */
const ORDER: readonly (keyof EnclaveLayout)[] = [
  "ProdID",
  "ISVSVN",
  "StackMaxSize",
  "StackMinSize",
  "HeapInitSize",
  "HeapMaxSize",
  "HeapMinSize",
  "TCSNum",
  "TCSMaxNum",
  "TCSMinPool",
  "TCSPolicy",
  "DisableDebug",
  "MiscSelect",
  "MiscMask",
  "ReservedMemMaxSize",
  "ReservedMemMinSize",
  "ReservedMemInitSize",
  "ReservedMemExecutable",
  "UserRegionSize",
  "EnableKSS",
  "ISVEXTPRODID_H",
  "ISVEXTPRODID_L",
  "ISVFAMILYID_H",
  "ISVFAMILYID_L",
  "PKRU",
  "AMX",
];

export function enclaveXml(layout: EnclaveLayout): string {
  let out = "<EnclaveConfiguration>";
  for (const name of ORDER) {
    const v = layout[name];
    if (v === undefined) continue;
    out += `<${name}>${String(v)}</${name}>`;
  }
  return out + "</EnclaveConfiguration>";
}
