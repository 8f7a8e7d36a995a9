/**
 * Why the gate got no answer: every kind exits 2, with the message on stderr.
 * - `usage`: bad arguments or environment;
 * - `unreachable`: no HTTP answer (connection refused, DNS, TLS), or an answer that is not the API's;
 * - `refused`: the API refused the request (bad key, too little role, unknown workflow, archived, …);
 * - `timeout`: --timeout passed before every run was terminal;
 * - `report`: the JUnit report could not be written.
 */
export type GateFailureKind = "usage" | "unreachable" | "refused" | "timeout" | "report";

export class GateFailure extends Error {
  constructor(
    readonly kind: GateFailureKind,
    message: string,
  ) {
    super(message);
    this.name = "GateFailure";
  }
}
