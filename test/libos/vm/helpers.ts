/**
 * A built instance for memory-manager tests: makeInstance's image plus the build/Enclave.xml and
 * the resource_limits / process numbers of .Occlum_sys.json that `occlum build` writes, taken from
 * a resolved Occlum.json (src/config), so the tests compare the Vm against the config exactly.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { load, template, type Mode } from "../../../src/config/test-helpers.ts";
import type { Config } from "../../../src/config/index.ts";
import { makeInstance, type Instance, type InstanceSpec } from "../helpers.ts";

export async function makeBuiltInstance(limits: Record<string, string | number>, process: Record<string, string>, mode: Mode, spec: InstanceSpec = {}): Promise<{ inst: Instance; config: Config }> {
  const json = template((c) => {
    Object.assign(c.resource_limits, limits);
    Object.assign(c.process, process);
  });
  const { config } = load(json, mode);
  const inst = await makeInstance(spec);
  const b = path.join(inst.dir, "build");
  const xml =
    `<EnclaveConfiguration><StackMaxSize>${config.kernelStack}</StackMaxSize><HeapInitSize>${config.kernelHeap.init}</HeapInitSize>` +
    `<HeapMaxSize>${config.kernelHeap.max}</HeapMaxSize><TCSNum>${config.threads.init}</TCSNum><TCSMaxNum>${config.threads.max}</TCSMaxNum>` +
    (config.edmm.enabled ? `<UserRegionSize>${config.userSpace.max}</UserRegionSize>` : "") + `</EnclaveConfiguration>`;
  await writeFile(path.join(b, "Enclave.xml"), xml);
  const sysFile = path.join(b, ".Occlum_sys.json");
  const sys = JSON.parse(await readFile(sysFile, "utf8"));
  sys.resource_limits = { user_space_init_size: `${config.userSpace.init}B`, user_space_max_size: `${config.userSpace.max}B` };
  sys.process = { default_stack_size: `${config.process.defaultStackSize}B`, default_heap_size: `${config.process.defaultHeapSize}B`, default_mmap_size: "1MB" };
  await writeFile(sysFile, JSON.stringify(sys));
  await writeFile(path.join(b, ".occlum_ts_build.json"), JSON.stringify({ format: 1, edmm: { enabled: config.edmm.enabled } }));
  return { inst, config };
}
