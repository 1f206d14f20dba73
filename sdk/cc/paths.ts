/** Locations shared by the SDK modules. */
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The project checkout (sdk/cc/ is two levels below it). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
