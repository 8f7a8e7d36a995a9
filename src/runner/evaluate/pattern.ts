/**
 * The regular expressions of `answer_matches` and `tool_result_matches` checks: validated when a workflow is
 * written, evaluated when a run is judged.
 *
 * JavaScript's RegExp backtracks, and workerd has no regex timeout: `(a+)+$` hangs on 30 characters, and even
 * `.*x` takes seconds over 64 KiB of text without an `x`. So a pattern is never run by RegExp against run
 * data. It is parsed here (a documented subset of JavaScript syntax), compiled to a small program and run by a
 * Pike VM: every input character is read once and each program step is visited at most once per character,
 * so the work is bounded by (text length × program size), with a step budget on top. RegExp is used only to
 * check that the pattern is valid JavaScript and to test one character at a time against a character class
 * or an escape (a bounded, constant-size job), so classes, escapes and the `i`/`s`/`u` flags keep their
 * JavaScript meaning.
 *
 * Supported: literals, `.`, character classes, escapes (`\d \w \s \D \W \S \t \n \r \v \f \0 \xHH \uHHHH
 * \u{…} \cX \p{…} \P{…}` and escaped punctuation), groups `(…)`, `(?:…)`, `(?<name>…)`, alternation `|`,
 * quantifiers `* + ? {n} {n,} {n,m}` (greedy or lazy, counts up to 1000), anchors `^ $ \b \B`.
 * Refused: lookahead and lookbehind, backreferences (`\1`, `\k<name>`), inline modifiers, and (a conservative
 * rule, so accepted patterns stay safe in any backtracking engine that runs them too) nested quantifiers: a
 * repeated group that contains a quantifier, such as `(a+)+`, `(\w*\s)*` or `(a?){2,}`.
 */

/** The longest pattern accepted. */
export const MAX_PATTERN_LENGTH = 500;
/** How much of a text a pattern reads: the first 64 KiB (UTF-16 code units), as if the text ended there. */
export const MAX_MATCH_INPUT = 64 * 1024;
/** The largest compiled program (counted repetitions are expanded). */
export const MAX_PROGRAM_SIZE = 1000;
/** The largest repetition count in `{n,m}`. */
export const MAX_REPEAT = 1000;
/** Matching steps one check may spend over all the texts it reads; past this the check fails, deterministically. */
export const MATCH_STEP_BUDGET = 20_000_000;
/** Flags a check may use. */
export const PATTERN_FLAGS = ["i", "m", "s", "u"] as const;
export const FLAGS_PATTERN = /^(?!.*(.).*\1)[imsu]{0,4}$/;

type CharTest = (ch: string) => boolean;
type Assertion = "^" | "$" | "b" | "B";

type Node =
  | { kind: "char"; test: CharTest }
  | { kind: "assert"; what: Assertion }
  | { kind: "seq"; items: Node[] }
  | { kind: "alt"; options: Node[] }
  | { kind: "repeat"; body: Node; min: number; max: number; lazy: boolean };

type Inst =
  | { op: "char"; test: CharTest }
  | { op: "split"; x: number; y: number }
  | { op: "jmp"; x: number }
  | { op: "assert"; what: Assertion }
  | { op: "match" };

/** A validated, compiled pattern. */
export interface CompiledPattern {
  source: string;
  flags: string;
  /** `/source/flags`, for messages. */
  display: string;
  program: readonly Inst[];
  multiline: boolean;
  unicode: boolean;
}

class PatternError extends Error {}

/** Why a pattern cannot be used, or null when it can. `flags` must already be valid. */
export function patternProblem(source: string, flags = ""): string | null {
  const compiled = compilePattern(source, flags);
  return "problem" in compiled ? compiled.problem : null;
}

/** Validates and compiles a pattern; answers `{ problem }` with a message for the user when it cannot be used. */
export function compilePattern(source: string, flags = ""): CompiledPattern | { problem: string } {
  if (!FLAGS_PATTERN.test(flags)) return { problem: "Only the flags i, m, s and u are allowed, each at most once" };
  if (source.length === 0) return { problem: "Must not be empty" };
  if (source.length > MAX_PATTERN_LENGTH) return { problem: `At most ${MAX_PATTERN_LENGTH} characters` };
  try {
    new RegExp(source, flags);
  } catch (err) {
    const detail = err instanceof Error ? err.message.replace(/^Invalid regular expression: /, "") : "invalid";
    return { problem: `Not a valid regular expression: ${truncate(detail, 200)}` };
  }
  try {
    const ast = new Parser(source, flags).parse();
    checkNesting(ast, false);
    const program = compile(ast);
    return {
      source,
      flags,
      display: `/${source}/${flags}`,
      program,
      multiline: flags.includes("m"),
      unicode: flags.includes("u"),
    };
  } catch (err) {
    if (err instanceof PatternError) return { problem: err.message };
    throw err;
  }
}

/** A match: where it starts and ends in the text (UTF-16 offsets). */
export interface PatternMatch {
  start: number;
  end: number;
}

/** Spends matching steps; shared by every text one check reads. */
export class StepBudget {
  constructor(public remaining = MATCH_STEP_BUDGET) {}
  get exhausted(): boolean {
    return this.remaining <= 0;
  }
}

/**
 * The leftmost match of the pattern in the first MAX_MATCH_INPUT characters of `text` (the match JavaScript
 * would find: leftmost, preferring greedy or lazy alternatives as written), null when there is none, or
 * "budget" when the step budget ran out first.
 */
export function findMatch(p: CompiledPattern, fullText: string, budget = new StepBudget()): PatternMatch | null | "budget" {
  const text = fullText.length > MAX_MATCH_INPUT ? fullText.slice(0, MAX_MATCH_INPUT) : fullText;
  const prog = p.program;
  const n = text.length;
  // mark[pc] === pos + 1: pc is already on the list being built for position pos.
  const mark = new Int32Array(prog.length);
  let cPcs: number[] = [];
  let cStarts: number[] = [];
  let nPcs: number[] = [];
  let nStarts: number[] = [];
  const stack: number[] = [];
  let matched: PatternMatch | null = null;

  const isWord = (pos: number) => pos >= 0 && pos < n && /[A-Za-z0-9_]/.test(text[pos]!);
  const isLineEnd = (ch: string | undefined) => ch === "\n" || ch === "\r" || ch === "\u2028" || ch === "\u2029";
  const holds = (what: Assertion, pos: number): boolean => {
    switch (what) {
      case "^":
        return pos === 0 || (p.multiline && isLineEnd(text[pos - 1]));
      case "$":
        return pos === n || (p.multiline && isLineEnd(text[pos]));
      case "b":
        return isWord(pos - 1) !== isWord(pos);
      case "B":
        return isWord(pos - 1) === isWord(pos);
    }
  };
  const add = (pcs: number[], starts: number[], pc0: number, start: number, pos: number) => {
    stack.push(pc0);
    while (stack.length) {
      const pc = stack.pop()!;
      budget.remaining--;
      if (mark[pc] === pos + 1) continue;
      mark[pc] = pos + 1;
      const inst = prog[pc]!;
      switch (inst.op) {
        case "jmp":
          stack.push(inst.x);
          break;
        case "split":
          stack.push(inst.y, inst.x); // x is popped first: it has priority
          break;
        case "assert":
          if (holds(inst.what, pos)) stack.push(pc + 1);
          break;
        default:
          pcs.push(pc);
          starts.push(start);
      }
    }
  };

  let pos = 0;
  for (;;) {
    if (!matched) add(cPcs, cStarts, 0, pos, pos); // a new attempt at this position, lowest priority
    if (cPcs.length === 0) {
      if (matched || pos >= n) break;
    }
    let ch = "";
    let width = 1;
    if (pos < n) {
      if (p.unicode) {
        const cp = text.codePointAt(pos)!;
        width = cp > 0xffff ? 2 : 1;
        ch = text.slice(pos, pos + width);
      } else {
        ch = text[pos]!;
      }
    }
    for (let t = 0; t < cPcs.length; t++) {
      budget.remaining--;
      const inst = prog[cPcs[t]!]!;
      if (inst.op === "match") {
        matched = { start: cStarts[t]!, end: pos };
        break; // lower-priority threads are cut
      }
      if (inst.op === "char" && pos < n && inst.test(ch)) add(nPcs, nStarts, cPcs[t]! + 1, cStarts[t]!, pos + width);
    }
    if (budget.exhausted) return "budget";
    if (pos >= n) break;
    [cPcs, nPcs] = [nPcs, cPcs];
    [cStarts, nStarts] = [nStarts, cStarts];
    nPcs.length = 0;
    nStarts.length = 0;
    pos += width;
  }
  return matched;
}

// ---------------------------------------------------------------------------------------------------------
// Parsing

class Parser {
  private pos = 0;
  private readonly unicode: boolean;
  private readonly testFlags: string;
  private readonly ignoreCase: boolean;

  constructor(
    private readonly src: string,
    flags: string,
  ) {
    this.unicode = flags.includes("u");
    this.ignoreCase = flags.includes("i");
    // The flags that change what one character matches (m only concerns ^ and $, handled by the VM).
    this.testFlags = [...flags].filter((f) => f === "i" || f === "s" || f === "u").join("");
  }

  parse(): Node {
    const node = this.alternation();
    if (this.pos < this.src.length) throw new PatternError(`Unmatched ')' at position ${this.pos}`);
    return node;
  }

  private alternation(): Node {
    const options = [this.sequence()];
    while (this.src[this.pos] === "|") {
      this.pos++;
      options.push(this.sequence());
    }
    return options.length === 1 ? options[0]! : { kind: "alt", options };
  }

  private sequence(): Node {
    const items: Node[] = [];
    while (this.pos < this.src.length && this.src[this.pos] !== "|" && this.src[this.pos] !== ")") {
      const atom = this.atom();
      items.push(this.quantified(atom));
    }
    return items.length === 1 ? items[0]! : { kind: "seq", items };
  }

  private quantified(atom: Node): Node {
    const s = this.src;
    const c = s[this.pos];
    let min: number;
    let max: number;
    if (c === "*" || c === "+" || c === "?") {
      this.pos++;
      [min, max] = c === "*" ? [0, Infinity] : c === "+" ? [1, Infinity] : [0, 1];
    } else if (c === "{") {
      const m = /^\{(\d+)(?:(,)(\d*))?\}/.exec(s.slice(this.pos));
      if (!m) return atom; // a literal '{' (not a quantifier), as JavaScript reads it without the u flag
      this.pos += m[0].length;
      min = Number(m[1]);
      max = m[2] ? (m[3] ? Number(m[3]) : Infinity) : min;
      if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT)) {
        throw new PatternError(`Repetition counts above ${MAX_REPEAT} are not supported`);
      }
    } else {
      return atom;
    }
    if (atom.kind === "assert") throw new PatternError("Nothing to repeat: an anchor cannot be quantified");
    let lazy = false;
    if (s[this.pos] === "?") {
      lazy = true;
      this.pos++;
    }
    const next = s[this.pos];
    if (next === "*" || next === "+" || next === "?" || (next === "{" && /^\{\d+(?:,\d*)?\}/.test(s.slice(this.pos)))) {
      throw new PatternError("Nothing to repeat: a quantifier cannot follow a quantifier");
    }
    return { kind: "repeat", body: atom, min, max, lazy };
  }

  private atom(): Node {
    const s = this.src;
    const c = s[this.pos]!;
    switch (c) {
      case "(":
        return this.group();
      case "[":
        return this.charClass();
      case ".":
        this.pos++;
        return this.charNode(".");
      case "^":
      case "$":
        this.pos++;
        return { kind: "assert", what: c };
      case "\\":
        return this.escape();
      case "*":
      case "+":
      case "?":
        throw new PatternError(`Nothing to repeat at position ${this.pos}`);
      case "{":
        if (/^\{\d+(?:,\d*)?\}/.test(s.slice(this.pos))) throw new PatternError(`Nothing to repeat at position ${this.pos}`);
        this.pos++;
        return this.charNode("\\{");
      case "}":
      case "]":
        this.pos++;
        return this.charNode(`\\${c}`);
      default: {
        const cp = this.unicode ? s.codePointAt(this.pos)! : s.charCodeAt(this.pos);
        const ch = String.fromCodePoint(cp);
        this.pos += ch.length;
        return this.literal(ch);
      }
    }
  }

  private group(): Node {
    const s = this.src;
    this.pos++; // (
    if (s[this.pos] === "?") {
      const rest = s.slice(this.pos);
      if (rest.startsWith("?:")) this.pos += 2;
      else if (rest.startsWith("?=") || rest.startsWith("?!")) throw new PatternError("Lookahead assertions are not supported");
      else if (rest.startsWith("?<=") || rest.startsWith("?<!")) throw new PatternError("Lookbehind assertions are not supported");
      else if (rest.startsWith("?<")) {
        const close = s.indexOf(">", this.pos);
        if (close < 0) throw new PatternError("Unterminated group name");
        this.pos = close + 1;
      } else throw new PatternError("Inline modifiers and other (?…) groups are not supported");
    }
    const body = this.alternation();
    if (s[this.pos] !== ")") throw new PatternError("Unterminated group: a '(' has no ')'");
    this.pos++;
    return body;
  }

  private charClass(): Node {
    const s = this.src;
    const start = this.pos;
    let i = this.pos + 1;
    if (s[i] === "^") i++;
    for (; i < s.length; i++) {
      if (s[i] === "\\") {
        i++;
        const c = s[i] ?? "";
        if (!this.unicode && /[A-Za-z]/.test(c) && !"dDwWsSbtnrvfcxu".includes(c)) {
          throw new PatternError(c === "p" || c === "P" ? `\\${c}{…} needs the u flag` : `Unknown escape \\${c}`);
        }
      } else if (s[i] === "]") break;
    }
    if (i >= s.length) throw new PatternError("Unterminated character class: a '[' has no ']'");
    this.pos = i + 1;
    return this.charNode(s.slice(start, i + 1));
  }

  private escape(): Node {
    const s = this.src;
    const start = this.pos;
    const c = s[this.pos + 1];
    if (c === undefined) throw new PatternError("A '\\' at the end of the pattern");
    this.pos += 2;
    if (c === "b" || c === "B") return { kind: "assert", what: c };
    if (/[1-9]/.test(c)) throw new PatternError("Backreferences are not supported");
    if (c === "k" && (this.unicode || /\(\?<(?![=!])/.test(s))) throw new PatternError("Backreferences are not supported");
    if (c === "0" && /[0-9]/.test(s[this.pos] ?? "")) throw new PatternError("Octal escapes are not supported; use \\xHH");
    // Without the u flag JavaScript reads an unknown letter escape as the letter itself (`\p{L}` is "p{L}"):
    // almost always a mistake, so refused.
    if (!this.unicode && /[A-Za-z]/.test(c) && !"dDwWsStnrvfcxu".includes(c)) {
      throw new PatternError(c === "p" || c === "P" ? `\\${c}{…} needs the u flag` : `Unknown escape \\${c}`);
    }
    if (!this.unicode && c === "x" && !/^[0-9A-Fa-f]{2}/.test(s.slice(this.pos))) throw new PatternError("\\x must be followed by two hex digits");
    if (!this.unicode && c === "u" && !/^[0-9A-Fa-f]{4}/.test(s.slice(this.pos))) throw new PatternError("\\u must be followed by four hex digits");
    if (c === "x") {
      const m = /^[0-9A-Fa-f]{2}/.exec(s.slice(this.pos));
      if (m) this.pos += 2;
    } else if (c === "u") {
      const braced = this.unicode ? /^\{[0-9A-Fa-f]+\}/.exec(s.slice(this.pos)) : null;
      const m = braced ?? /^[0-9A-Fa-f]{4}/.exec(s.slice(this.pos));
      if (m) this.pos += m[0].length;
      // A \uHHHH\uHHHH surrogate pair is one character in unicode mode.
      if (this.unicode && !braced && /^\\u[dD][89abAB][0-9A-Fa-f]{2}\\u[dD][c-fC-F][0-9A-Fa-f]{2}/.test(s.slice(start))) this.pos += 6;
    } else if (c === "c") {
      if (!/^[A-Za-z]/.test(s[this.pos] ?? "")) throw new PatternError("\\c must be followed by a letter");
      this.pos++;
    } else if ((c === "p" || c === "P") && this.unicode) {
      const m = /^\{[^}]*\}/.exec(s.slice(this.pos));
      if (m) this.pos += m[0].length;
    } else if (this.unicode && s.codePointAt(start + 1)! > 0xffff) {
      this.pos++;
    }
    return this.charNode(s.slice(start, this.pos));
  }

  private literal(ch: string): Node {
    if (!this.ignoreCase) return { kind: "char", test: (x) => x === ch };
    return this.charNode(ch.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&"));
  }

  /** One character matched as JavaScript matches `source` (a class, an escape or `.`), tested one character at a time. */
  private charNode(source: string): Node {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${source})$`, this.testFlags);
    } catch {
      throw new PatternError(`Unsupported syntax '${truncate(source, 40)}'`);
    }
    const cache = new Map<string, boolean>();
    return {
      kind: "char",
      test: (x) => {
        let hit = cache.get(x);
        if (hit === undefined) {
          hit = re.test(x);
          if (cache.size < 4096) cache.set(x, hit);
        }
        return hit;
      },
    };
  }
}

/** The conservative rule: a repeated group may not contain a quantifier. */
function checkNesting(node: Node, insideRepeat: boolean): void {
  switch (node.kind) {
    case "seq":
      node.items.forEach((n) => checkNesting(n, insideRepeat));
      return;
    case "alt":
      node.options.forEach((n) => checkNesting(n, insideRepeat));
      return;
    case "repeat": {
      if (insideRepeat) {
        throw new PatternError(
          "Nested quantifiers are not allowed (a repeated group that contains *, +, ? or {…}, like (a+)+): they can backtrack catastrophically",
        );
      }
      const repeats = node.max > 1;
      checkNesting(node.body, repeats);
      return;
    }
    default:
      return;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Compiling

function compile(ast: Node): Inst[] {
  const prog: Inst[] = [];
  const push = (inst: Inst) => {
    if (prog.length >= MAX_PROGRAM_SIZE) {
      throw new PatternError(`The pattern is too complex: it expands to more than ${MAX_PROGRAM_SIZE} steps (lower the repetition counts)`);
    }
    prog.push(inst);
    return prog.length - 1;
  };
  const emit = (node: Node): void => {
    switch (node.kind) {
      case "char":
        push({ op: "char", test: node.test });
        return;
      case "assert":
        push({ op: "assert", what: node.what });
        return;
      case "seq":
        node.items.forEach(emit);
        return;
      case "alt": {
        const jumps: number[] = [];
        node.options.forEach((option, i) => {
          if (i < node.options.length - 1) {
            const split = push({ op: "split", x: 0, y: 0 });
            emit(option);
            jumps.push(push({ op: "jmp", x: 0 }));
            prog[split] = { op: "split", x: split + 1, y: prog.length };
          } else {
            emit(option);
          }
        });
        for (const j of jumps) prog[j] = { op: "jmp", x: prog.length };
        return;
      }
      case "repeat": {
        const { body, min, max, lazy } = node;
        for (let i = 0; i < min; i++) emit(body);
        const order = (into: number, out: number) => (lazy ? { x: out, y: into } : { x: into, y: out });
        if (max === Infinity) {
          const split = push({ op: "split", x: 0, y: 0 });
          emit(body);
          push({ op: "jmp", x: split });
          prog[split] = { op: "split", ...order(split + 1, prog.length) };
          return;
        }
        const splits: number[] = [];
        for (let i = min; i < max; i++) {
          splits.push(push({ op: "split", x: 0, y: 0 }));
          emit(body);
        }
        for (const s of splits) prog[s] = { op: "split", ...order(s + 1, prog.length) };
        return;
      }
    }
  };
  emit(ast);
  push({ op: "match" });
  return prog;
}

function truncate(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
