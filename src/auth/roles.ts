/**
 * Key roles, lowest first: ingest < viewer < editor < admin < owner. `ingest` may only send MCP usage events
 * (least privilege for keys embedded in MCP servers): it reads nothing.
 */
export const ROLES = ["ingest", "viewer", "editor", "admin", "owner"] as const;
export type Role = (typeof ROLES)[number];

/** True when `role` is at least `required` in ingest < viewer < editor < admin < owner. */
export function hasRole(role: Role, required: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(required);
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
