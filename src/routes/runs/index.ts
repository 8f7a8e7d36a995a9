import type { ApiApp } from "../../app";

export function registerRuns(_app: ApiApp) {}
