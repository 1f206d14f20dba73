/**
 * The EDMM decision of `occlum build` (spec 2.2, 3.4, 3.5, 2.9), with the reason it came out so.
 *
 * Occlum splits it in two: the CLI turns SGX_MODE / ENABLE_EDMM / --sgx-mode / --enable-edmm into
 * INSTANCE_IS_FOR_EDMM_PLATFORM (YES only in HW mode with a truthy ENABLE_EDMM), and the generator
 * ORs in Occlum.json's feature.enable_edmm. We keep both steps exactly, including two quirks that
 * we only warn about: `--sgx-mode HW` cannot override an exported SGX_MODE, and `--enable-edmm N`
 * cannot disable an exported ENABLE_EDMM. The decision is recorded in the build so `occlum run`
 * and later rebuilds know what was decided and from which input.
 */

/** The values of ENABLE_EDMM that Occlum's CLI accepts as "on". */
export const EDMM_TRUTHY: ReadonlySet<string> = new Set(["Y", "YES", "Yes", "yes", "True", "true", "1"]);

export interface EdmmInputs {
  /** SGX_MODE and ENABLE_EDMM from the environment of `occlum build`. */
  readonly envSgxMode: string | undefined;
  readonly envEnableEdmm: string | undefined;
  /** Values given to `occlum build --sgx-mode` / `--enable-edmm`, if any. */
  readonly flagSgxMode: string | undefined;
  readonly flagEnableEdmm: string | undefined;
  /** Occlum.json feature.enable_edmm. */
  readonly featureEnableEdmm: boolean;
}

export type EdmmSource = "feature.enable_edmm" | "ENABLE_EDMM" | "--enable-edmm" | "SGX_MODE" | "--sgx-mode" | "default";

/** What `.sgx_mode` records. */
export type SgxModeFile = "HW" | "SIM" | "HYPER";

export interface EdmmDecision {
  /** The SGX mode as Occlum prints it in `SGX mode: ...` (the raw value when not HW). */
  readonly sgxMode: string;
  readonly sgxModeFile: SgxModeFile;
  /** What the CLI exports as INSTANCE_IS_FOR_EDMM_PLATFORM. */
  readonly instanceIsForEdmmPlatform: boolean;
  /** The final decision: EDMM-style Enclave.xml and Init/Max memory split. */
  readonly edmm: boolean;
  readonly decidedBy: EdmmSource;
  /** One human sentence: why EDMM is on or off. */
  readonly reason: string;
  /** Warnings about the CLI flags and environment. */
  readonly warnings: readonly string[];
  /** Warning about Occlum.json's feature.enable_edmm (spec 2.9), reported at that field. */
  readonly featureWarning: string | undefined;
  readonly inputs: EdmmInputs;
}

export function decideEdmm(inputs: EdmmInputs): EdmmDecision {
  const warnings: string[] = [];
  let featureWarning: string | undefined;
  const envMode = inputs.envSgxMode ?? "";
  let mode = envMode;
  let modeSource: EdmmSource = "SGX_MODE";
  if (inputs.flagSgxMode !== undefined && inputs.flagSgxMode !== "HW") {
    mode = inputs.flagSgxMode;
    modeSource = "--sgx-mode";
  } else if (inputs.flagSgxMode === "HW" && envMode !== "" && envMode !== "HW") {
    warnings.push(`--sgx-mode HW does not override SGX_MODE=${envMode} from the environment (as in Occlum); unset SGX_MODE to build for HW`);
  }
  const isHw = mode === "" || mode === "HW";

  let enable = inputs.envEnableEdmm ?? "";
  let enableSource: EdmmSource = "ENABLE_EDMM";
  if (inputs.flagEnableEdmm !== undefined && inputs.flagEnableEdmm !== "N") {
    enable = "Y";
    enableSource = "--enable-edmm";
  } else if (inputs.flagEnableEdmm === "N" && EDMM_TRUTHY.has(enable)) {
    warnings.push(`--enable-edmm N does not override ENABLE_EDMM=${enable} from the environment (as in Occlum); unset ENABLE_EDMM to build without EDMM`);
  }
  const enableTruthy = EDMM_TRUTHY.has(enable);
  if (enable !== "" && !enableTruthy && /^(y|on|enable[d]?|TRUE|True|YES)$/i.test(enable)) {
    warnings.push(`ENABLE_EDMM=${enable} is not recognized as "on" (Occlum accepts only Y, YES, Yes, yes, True, true, 1)`);
  }

  const platform = isHw && enableTruthy;
  const edmm = platform || inputs.featureEnableEdmm;
  const enableText = enableSource === "--enable-edmm" ? `--enable-edmm ${inputs.flagEnableEdmm}` : `ENABLE_EDMM=${enable} in the environment`;
  const modeText = modeSource === "--sgx-mode" ? `--sgx-mode ${mode}` : `SGX_MODE=${mode}`;

  let decidedBy: EdmmSource;
  let reason: string;
  if (platform) {
    decidedBy = enableSource;
    reason = `${enableText} (SGX mode HW)`;
  } else if (inputs.featureEnableEdmm) {
    decidedBy = "feature.enable_edmm";
    reason = "feature.enable_edmm is true in Occlum.json";
    if (!isHw) {
      reason += ` (forces the EDMM layout even under ${modeText})`;
      if (enableTruthy) warnings.push(`${enableText} is ignored under ${modeText} (SGX_MODE takes precedence over ENABLE_EDMM)`);
      featureWarning =
        `true under ${modeText}: the EDMM layout is built anyway (as Occlum does), but simulation mode has no EDMM, ` +
        `so at run time the whole user space max (at least 16 GiB) must fit in the reserved memory of user_space_size: the instance will very likely fail to start (ENOMEM); ` +
        `set feature.enable_edmm to false for SIM builds, or build in HW mode`;
    }
  } else if (!isHw) {
    decidedBy = modeSource;
    reason = `${modeText}: simulation mode never uses EDMM (SGX_MODE takes precedence over ENABLE_EDMM)`;
    if (enableTruthy) warnings.push(`${enableText} is ignored under ${modeText} (SGX_MODE takes precedence over ENABLE_EDMM)`);
  } else if (enable === "") {
    decidedBy = "default";
    reason = "ENABLE_EDMM is not set and feature.enable_edmm is false";
  } else {
    decidedBy = "ENABLE_EDMM";
    reason = `ENABLE_EDMM=${enable} is not one of Y, YES, Yes, yes, True, true, 1`;
  }

  return Object.freeze({
    sgxMode: isHw ? "HW" : mode,
    sgxModeFile: isHw ? "HW" : mode === "HYPER" ? "HYPER" : "SIM",
    instanceIsForEdmmPlatform: platform,
    edmm,
    decidedBy,
    reason,
    warnings: Object.freeze(warnings),
    featureWarning,
    inputs: Object.freeze({ ...inputs }),
  });
}
