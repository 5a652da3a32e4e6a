import { benchAckLatency } from './ack-latency.js';
import { benchCheckout } from './checkout.js';
import { checkRedis, ensureSandboxImage, REDIS_URL, SANDBOX_IMAGE } from './fixtures.js';
import { benchSandboxStart } from './sandbox-start.js';
import { ms } from './stats.js';
import { benchTaskLatency } from './task-latency.js';
import { benchPullRequest } from './pull-request.js';

/*
 * `npm run bench`: the product's figures beside baselines measured in the same run, on this
 * machine. It prints and asserts nothing. Needs what the tests need: Redis (REDIS_URL, default
 * 127.0.0.1:6379) and Docker with the sandbox image (built here when missing). Everything it
 * makes (Redis keys under its own prefix, containers, directories) is removed at the end.
 */

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 500);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 25);
const TASKS = Number(process.env.BENCH_TASKS ?? 5);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const FILES = Number(process.env.BENCH_FILES ?? 1000);

type Row = [string, string, string, string];

function table(rows: Row[]): string {
  const head: Row = ['measure', 'ours', 'baseline', 'baseline is'];
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: Row) => r.map((c, i) => (i === 1 || i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function step(name: string): void {
  process.stderr.write(`… ${name}\n`);
}

async function main(): Promise<void> {
  await checkRedis();
  ensureSandboxImage();
  const rows: Row[] = [];
  const notes: string[] = [];

  step(`slash-command acks: ${REQUESTS} requests, ${IN_FLIGHT} in flight, ours then a bare Bolt app`);
  const ack = await benchAckLatency(REQUESTS, IN_FLIGHT);
  const bareAck = 'bare Bolt app, ack only';
  rows.push([`ack, help + task (${ack.ours.all.n}), median`, ms(ack.ours.all.median), ms(ack.bare.all.median), bareAck]);
  rows.push([`ack, help + task (${ack.ours.all.n}), p99`, ms(ack.ours.all.p99), ms(ack.bare.all.p99), bareAck]);
  rows.push(['ack, /codex help, median / p99', `${ms(ack.ours.help.median)} / ${ms(ack.ours.help.p99)}`, `${ms(ack.bare.help.median)} / ${ms(ack.bare.help.p99)}`, bareAck]);
  rows.push(['ack, /codex task, median / p99', `${ms(ack.ours.task.median)} / ${ms(ack.ours.task.p99)}`, `${ms(ack.bare.task.median)} / ${ms(ack.bare.task.p99)}`, bareAck]);
  if (ack.errors > 0) notes.push(`${ack.errors} slash-command requests got an unexpected answer.`);

  step(`command to root message and first card update: ${TASKS} tasks`);
  const task = await benchTaskLatency(TASKS);
  const bareTask = 'bare Bolt app: ack, post, update';
  rows.push([`command → root message, median of ${task.tasks}`, ms(task.ours.rootMs), ms(task.bare.rootMs), bareTask]);
  rows.push([`command → first status update, median of ${task.tasks}`, ms(task.ours.firstUpdateMs), ms(task.bare.firstUpdateMs), bareTask]);

  step(`sandbox start: ${RUNS} runs each`);
  const sandbox = await benchSandboxStart(RUNS);
  rows.push([`sandbox start + first exec, median of ${sandbox.runs}`, ms(sandbox.ours.startExecMs), ms(sandbox.dockerRunMs), `docker run --rm ${SANDBOX_IMAGE} true`]);
  rows.push([`sandbox start + exec + stop, median of ${sandbox.runs}`, ms(sandbox.ours.withStopMs), ms(sandbox.dockerRunMs), `docker run --rm ${SANDBOX_IMAGE} true`]);

  step(`checkouts: ${RUNS} runs each, ${FILES}-file repo`);
  const checkout = await benchCheckout(RUNS, FILES);
  rows.push([`checkout, warm mirror, median of ${checkout.runs}`, ms(checkout.warmMs), ms(checkout.cloneMs), 'git clone (local: hard links)']);
  rows.push([`checkout, warm mirror, median of ${checkout.runs}`, ms(checkout.warmMs), ms(checkout.cloneNoLocalMs), 'git clone --no-local']);
  rows.push(['checkout, cold mirror (first task of a repo)', ms(checkout.coldMs), '', '']);

  step(`click on Open pull request → its link in the thread: ${TASKS} runs`);
  const pr = await benchPullRequest(TASKS);
  rows.push([`Open pull request click → PR link in thread, median of ${pr.runs}`, ms(pr.oursMs), ms(pr.apiMs), 'fake GitHub API alone: JWT, token, POST /pulls']);

  process.stdout.write(`\ncodex-slack benchmark (Node ${process.version}, Redis ${REDIS_URL}, ${new Date().toISOString()})\n\n`);
  process.stdout.write(`${table(rows)}\n`);
  for (const n of notes) process.stdout.write(`\nnote: ${n}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
