/** Occlum's `check_*` preconditions (spec 3.1): stdout message, exit 1. */
import { existsSync } from "node:fs";
import { instancePaths } from "../../build/instance.ts";
import { checkError, type CliError } from "../context.ts";

export function notInitialized(): CliError {
  return checkError('the current working directory is not initialized as an Occlum instance. Need to run "occlum init" first.');
}

export function checkHasInit(dir: string): void {
  if (!existsSync(instancePaths(dir).status)) throw notInitialized();
}

export function checkHasBuilt(dir: string): void {
  checkHasInit(dir);
  if (!existsSync(instancePaths(dir).runMountRoot)) {
    throw checkError('the Occlum image and enclave are not built yet. Need to run "occlum build" first.');
  }
}
