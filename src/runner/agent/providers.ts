/**
 * Tester model providers: one table from the catalog's provider to the ai SDK client that serves it. Every
 * client takes an injected `fetch` (tests serve recorded provider answers from a mock; nothing else changes).
 * A provider that is not configured in this deployment ends the run as `model_not_configured`, naming what
 * is missing. Documented in docs/run-engine.md ("Tester agents").
 */
import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { LanguageModel } from "ai";
import { createWorkersAI } from "workers-ai-provider";
import type { Env } from "../../env";
import { findModel, type ModelInfo, type ModelProvider } from "../../models/catalog";
import { RunFailure } from "../types";
import { createScriptedModel } from "./scripted";

/** USD per million input and output tokens. */
export interface ModelPricing {
  inputUsdPerMTok: number;
  outputUsdPerMTok: number;
}

export interface ResolvedModel {
  model: LanguageModel;
  /** The catalog id (what the workflow names). */
  modelId: string;
  provider: ModelProvider;
  pricing: ModelPricing;
  /** The secret values this client sends (API keys), for scrubbing error messages. */
  secrets: string[];
}

/** The bindings and secrets the providers read. */
export type ProviderEnv = Pick<
  Env,
  | "ANTHROPIC_API_KEY"
  | "OPENAI_API_KEY"
  | "AI"
  | "ARMATURE_OPENAI_COMPATIBLE_BASE_URL"
  | "ARMATURE_OPENAI_COMPATIBLE_API_KEY"
  | "ARMATURE_OPENAI_COMPATIBLE_INPUT_USD_PER_MTOK"
  | "ARMATURE_OPENAI_COMPATIBLE_OUTPUT_USD_PER_MTOK"
>;

export interface ProviderOptions {
  /** The fetch the HTTP providers use (default: the global one). */
  fetch?: typeof fetch;
}

interface Built {
  model: LanguageModel;
  secrets: string[];
  pricing?: ModelPricing;
}

/** One provider: builds the client for a catalog model, or throws `model_not_configured`. */
type ProviderFactory = (info: ModelInfo, env: ProviderEnv, options: ProviderOptions) => Built;

function notConfigured(info: ModelInfo, what: string): RunFailure {
  return new RunFailure("model_not_configured", `Tester model '${info.id}' cannot run: ${what}`);
}

function secret(value: string | undefined): string | undefined {
  const v = value?.trim();
  return v ? v : undefined;
}

function price(info: ModelInfo, name: string, value: string | undefined): number {
  if (value === undefined || value.trim() === "") return 0;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw notConfigured(info, `${name} is not a non-negative number`);
  return n;
}

const PROVIDERS: Record<ModelProvider, ProviderFactory> = {
  armature: () => ({ model: createScriptedModel(), secrets: [] }),

  anthropic: (info, env, options) => {
    const apiKey = secret(env.ANTHROPIC_API_KEY);
    if (!apiKey) throw notConfigured(info, "the secret ANTHROPIC_API_KEY is not set in this deployment");
    const provider = createAnthropic({ apiKey, ...(options.fetch ? { fetch: options.fetch } : {}) });
    return { model: provider.messages(info.providerModel), secrets: [apiKey] };
  },

  openai: (info, env, options) => {
    const apiKey = secret(env.OPENAI_API_KEY);
    if (!apiKey) throw notConfigured(info, "the secret OPENAI_API_KEY is not set in this deployment");
    const provider = createOpenAI({ apiKey, ...(options.fetch ? { fetch: options.fetch } : {}) });
    // Chat Completions: the API every OpenAI-compatible server also speaks, with tool calls and usage.
    return { model: provider.chat(info.providerModel), secrets: [apiKey] };
  },

  "workers-ai": (info, env) => {
    if (!env.AI) throw notConfigured(info, 'the Workers AI binding AI is not configured (wrangler.toml: [ai] binding = "AI")');
    return { model: createWorkersAI({ binding: env.AI })(info.providerModel), secrets: [] };
  },

  "openai-compatible": (info, env, options) => {
    const baseURL = secret(env.ARMATURE_OPENAI_COMPATIBLE_BASE_URL);
    if (!baseURL) throw notConfigured(info, "the variable ARMATURE_OPENAI_COMPATIBLE_BASE_URL is not set in this deployment");
    let url: URL;
    try {
      url = new URL(baseURL);
    } catch {
      throw notConfigured(info, "ARMATURE_OPENAI_COMPATIBLE_BASE_URL is not a URL");
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw notConfigured(info, "ARMATURE_OPENAI_COMPATIBLE_BASE_URL must be an http(s) URL");
    }
    const apiKey = secret(env.ARMATURE_OPENAI_COMPATIBLE_API_KEY);
    const provider = createOpenAICompatible({
      name: "openai-compatible",
      baseURL: baseURL.replace(/\/+$/, ""),
      ...(apiKey ? { apiKey } : {}),
      includeUsage: true,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    return {
      model: provider.chatModel(info.providerModel),
      secrets: apiKey ? [apiKey] : [],
      pricing: {
        inputUsdPerMTok: price(info, "ARMATURE_OPENAI_COMPATIBLE_INPUT_USD_PER_MTOK", env.ARMATURE_OPENAI_COMPATIBLE_INPUT_USD_PER_MTOK),
        outputUsdPerMTok: price(info, "ARMATURE_OPENAI_COMPATIBLE_OUTPUT_USD_PER_MTOK", env.ARMATURE_OPENAI_COMPATIBLE_OUTPUT_USD_PER_MTOK),
      },
    };
  },
};

/**
 * The client for a tester model id of the catalog (src/models/catalog.ts), with its pricing. Throws
 * `RunFailure("model_not_configured")` for an id the catalog does not know or a provider this deployment has
 * not configured; the message names the missing secret, binding or variable (never a value).
 */
export function resolveTesterModel(modelId: string, env: ProviderEnv, options: ProviderOptions = {}): ResolvedModel {
  const info = findModel(modelId);
  if (!info) throw new RunFailure("model_not_configured", `Tester model '${modelId}' is not in the model catalog`);
  const built = PROVIDERS[info.provider](info, env, options);
  return {
    model: built.model,
    modelId: info.id,
    provider: info.provider,
    pricing: built.pricing ?? { inputUsdPerMTok: info.inputUsdPerMTok, outputUsdPerMTok: info.outputUsdPerMTok },
    secrets: built.secrets,
  };
}
