/**
 * Who serves a model: the run engine picks the client by provider (src/runner/agent/providers.ts).
 * `openai-compatible` is the deployment's own OpenAI-compatible endpoint (ARMATURE_OPENAI_COMPATIBLE_BASE_URL).
 */
export type ModelProvider = "anthropic" | "openai" | "workers-ai" | "openai-compatible" | "armature";

export interface ModelInfo {
  /** The id users write in workflows (`testerModelIds`, `testerTargets[].modelId`). */
  id: string;
  provider: ModelProvider;
  /** The provider's own model name. */
  providerModel: string;
  displayName: string;
  /** What the model may be used as. */
  uses: ReadonlyArray<"tester" | "judge">;
  /** USD per million input and output tokens, for run cost. */
  inputUsdPerMTok: number;
  outputUsdPerMTok: number;
}

/**
 * Every tester and judge model the service knows. Unknown ids fail the workflow preflight. Prices are list
 * prices per million tokens; a deployment can override the defaults with ARMATURE_DEFAULT_TESTER_MODEL and
 * ARMATURE_DEFAULT_JUDGE_MODEL.
 */
export const MODEL_CATALOG: readonly ModelInfo[] = [
  {
    id: "armature/scripted",
    provider: "armature",
    providerModel: "scripted-v1",
    displayName: "Armature scripted (offline, deterministic)",
    uses: ["tester", "judge"],
    inputUsdPerMTok: 0,
    outputUsdPerMTok: 0,
  },
  {
    id: "claude-sonnet-4",
    provider: "anthropic",
    providerModel: "claude-sonnet-4-20250514",
    displayName: "Claude Sonnet 4",
    uses: ["tester", "judge"],
    inputUsdPerMTok: 3,
    outputUsdPerMTok: 15,
  },
  {
    id: "claude-sonnet-4-5",
    provider: "anthropic",
    providerModel: "claude-sonnet-4-5",
    displayName: "Claude Sonnet 4.5",
    uses: ["tester", "judge"],
    inputUsdPerMTok: 3,
    outputUsdPerMTok: 15,
  },
  {
    id: "claude-opus-4-1",
    provider: "anthropic",
    providerModel: "claude-opus-4-1",
    displayName: "Claude Opus 4.1",
    uses: ["tester", "judge"],
    inputUsdPerMTok: 15,
    outputUsdPerMTok: 75,
  },
  {
    id: "claude-haiku-4-5",
    provider: "anthropic",
    providerModel: "claude-haiku-4-5",
    displayName: "Claude Haiku 4.5",
    uses: ["tester", "judge"],
    inputUsdPerMTok: 1,
    outputUsdPerMTok: 5,
  },
  {
    id: "gpt-5",
    provider: "openai",
    providerModel: "gpt-5",
    displayName: "GPT-5",
    uses: ["tester", "judge"],
    inputUsdPerMTok: 1.25,
    outputUsdPerMTok: 10,
  },
  {
    id: "gpt-5-mini",
    provider: "openai",
    providerModel: "gpt-5-mini",
    displayName: "GPT-5 mini",
    uses: ["tester", "judge"],
    inputUsdPerMTok: 0.25,
    outputUsdPerMTok: 2,
  },
  {
    id: "gpt-4.1",
    provider: "openai",
    providerModel: "gpt-4.1",
    displayName: "GPT-4.1",
    uses: ["tester", "judge"],
    inputUsdPerMTok: 2,
    outputUsdPerMTok: 8,
  },
  {
    id: "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
    provider: "workers-ai",
    providerModel: "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
    displayName: "Llama 3.3 70B (Workers AI)",
    uses: ["tester", "judge"],
    inputUsdPerMTok: 0.29,
    outputUsdPerMTok: 2.25,
  },
  {
    id: "@cf/qwen/qwen3-30b-a3b-fp8",
    provider: "workers-ai",
    providerModel: "@cf/qwen/qwen3-30b-a3b-fp8",
    displayName: "Qwen3 30B A3B (Workers AI)",
    uses: ["tester"],
    inputUsdPerMTok: 0.051,
    outputUsdPerMTok: 0.34,
  },
];

const BY_ID = new Map(MODEL_CATALOG.map((m) => [m.id, m]));

/**
 * Models of the deployment's OpenAI-compatible endpoint are named `compatible/<model>`, where `<model>` is
 * the endpoint's own model name (1 to 200 of `A-Za-z0-9 . _ : / @ -`, starting with a letter or digit). They
 * are not listed: any such id is known, and a run of one fails as `model_not_configured` when the deployment
 * has no endpoint. Their list price is 0 unless the deployment sets ARMATURE_OPENAI_COMPATIBLE_INPUT_USD_PER_MTOK
 * and ARMATURE_OPENAI_COMPATIBLE_OUTPUT_USD_PER_MTOK (read by the run engine).
 */
export const COMPATIBLE_PREFIX = "compatible/";
const COMPATIBLE_MODEL = /^[A-Za-z0-9][A-Za-z0-9._:\/@-]{0,199}$/;

function compatibleModel(id: string): ModelInfo | undefined {
  if (!id.startsWith(COMPATIBLE_PREFIX)) return undefined;
  const name = id.slice(COMPATIBLE_PREFIX.length);
  if (!COMPATIBLE_MODEL.test(name)) return undefined;
  return {
    id,
    provider: "openai-compatible",
    providerModel: name,
    displayName: `${name} (OpenAI-compatible endpoint)`,
    uses: ["tester", "judge"],
    inputUsdPerMTok: 0,
    outputUsdPerMTok: 0,
  };
}

/** The built-in default tester and judge: the offline model, so a fresh deployment works without provider keys. */
export const DEFAULT_MODEL_ID = "armature/scripted";

export function findModel(id: string): ModelInfo | undefined {
  return BY_ID.get(id) ?? compatibleModel(id);
}

/** The default tester model: ARMATURE_DEFAULT_TESTER_MODEL when it names a catalog model, else the offline one. */
export function defaultTesterModel(configured?: string): string {
  return configured && findModel(configured)?.uses.includes("tester") ? configured : DEFAULT_MODEL_ID;
}

/** USD cost of a model call. */
export function modelCostUsd(model: ModelInfo, inputTokens: number, outputTokens: number): number {
  return (inputTokens * model.inputUsdPerMTok + outputTokens * model.outputUsdPerMTok) / 1_000_000;
}
