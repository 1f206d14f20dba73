/**
 * src/config/: Occlum.json -> resolved Config, Enclave.xml and the internal config.
 * Public surface; see each module's header for the part of the spec it implements.
 */
export { ConfigError, formatIssue, type ConfigIssue } from "./errors.ts";
export { parseSize, suggestSize, formatBytes, type SizeResult, type SizeErrorKind } from "./size.ts";
export { decideEdmm, EDMM_TRUTHY, type EdmmDecision, type EdmmInputs, type EdmmSource, type SgxModeFile } from "./edmm.ts";
export { readInput, type InputConfig } from "./input.ts";
export { resolve, parseKssId, DEFAULTS, type EnclaveLayout, type Resolved } from "./resolve.ts";
export { validate } from "./validate.ts";
export { enclaveXml } from "./enclave-xml.ts";
export { internalConfigJson, type Macs } from "./internal-config.ts";
export { loadConfig, buildConfig, type Config, type MountConfig, type Loaded, type LoadOptions } from "./config.ts";
export { TEMPLATE_OCCLUM_JSON } from "./template.ts";
