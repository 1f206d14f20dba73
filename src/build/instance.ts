/**
 * The files of an Occlum instance directory that the CLI and the build share (spec 3.3).
 */
import path from "node:path";

export const STATUS_FILE = ".__occlum_status";
export const SGX_MODE_FILE = ".sgx_mode";
export const CONFIG_FILE = "Occlum.json";

export type InstanceStatus = "initialized" | "built" | "running" | "debugging";

export function instancePaths(dir: string) {
  const build = path.join(dir, "build");
  const run = path.join(dir, "run");
  return {
    dir,
    status: path.join(dir, STATUS_FILE),
    sgxMode: path.join(dir, SGX_MODE_FILE),
    config: path.join(dir, CONFIG_FILE),
    image: path.join(dir, "image"),
    initfs: path.join(dir, "initfs"),
    build,
    enclaveXml: path.join(build, "Enclave.xml"),
    internalConfig: path.join(build, ".Occlum_sys.json"),
    imageConfig: path.join(build, "image_config.json"),
    buildMountRoot: path.join(build, "mount", "__ROOT"),
    buildInitfsRoot: path.join(build, "initfs", "__ROOT"),
    run,
    runMountRoot: path.join(run, "mount", "__ROOT"),
    runInitfsRoot: path.join(run, "initfs", "__ROOT"),
  };
}
