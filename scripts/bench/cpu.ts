// CPU time of the workerd process(es) Miniflare started, from the kernel's own counters (/proc/<pid>/stat:
// utime + stime, all threads, in clock ticks of 10 ms on Linux), so a measurement window's CPU is the
// difference of two readings. Linux only.
import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";

/** Clock ticks per second (sysconf(_SC_CLK_TCK)); 100 on every Linux the bench runs on. */
const CLOCK_TICKS = 100;

interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime, in clock ticks. */
  ticks: number;
}

function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The command name is in parentheses and may itself contain spaces or parentheses.
  const close = text.lastIndexOf(")");
  const comm = text.slice(text.indexOf("(") + 1, close);
  const fields = text.slice(close + 2).split(" ");
  // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  return { pid, comm, ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

function allProcesses(): ProcStat[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readStat(Number(name)))
    .filter((s): s is ProcStat => s !== null);
}

/**
 * The workerd processes started by this process (Miniflare spawns one per instance) and their descendants.
 * Other workerd processes on the machine (other people's tests) are not ours and are left out.
 */
export function findWorkerdPids(parent = process.pid): number[] {
  const procs = allProcesses();
  const children = new Map<number, ProcStat[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const found: number[] = [];
  const visit = (pid: number, inside: boolean) => {
    for (const child of children.get(pid) ?? []) {
      const isWorkerd = inside || child.comm === "workerd";
      if (isWorkerd) found.push(child.pid);
      visit(child.pid, isWorkerd);
    }
  };
  visit(parent, false);
  return found;
}

/** CPU milliseconds the processes have used so far (user + system, all threads). */
export function cpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) ticks += readStat(pid)?.ticks ?? 0;
  return (ticks * 1000) / CLOCK_TICKS;
}

/** This process's own CPU milliseconds (the load generator's share of the machine). */
export function selfCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** The 1, 5 and 15 minute load averages and the core count, for the record. */
export function machineLoad(): { loadAverage: number[]; cores: number } {
  const [one, five, fifteen] = readFileSync("/proc/loadavg", "utf8").split(" ").map(Number);
  return { loadAverage: [one!, five!, fifteen!], cores: availableParallelism() };
}
