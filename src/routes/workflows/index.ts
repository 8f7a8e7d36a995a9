import type { ApiApp } from "../../app";

export function registerWorkflows(_app: ApiApp) {}
