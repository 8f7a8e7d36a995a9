import { defineOperation } from "../operations/operation";
import { OrgResponseSchema } from "./schemas";

export const getOrg = defineOperation({
  name: "getOrg",
  tag: "org",
  summary: "The organization and the calling key",
  role: "viewer",
  readOnly: true,
  input: {},
  output: OrgResponseSchema,
  outputDescription: "The key's organization and the key itself.",
  run: async ({ principal: { org, keyId, keyName, role } }) => ({
    organization: { ...org, createdAt: org.createdAt.toISOString() },
    apiKey: { id: keyId, name: keyName, role },
  }),
});
