import { benchAckLatency } from './ack-latency.js';
import { benchCheckout } from './checkout.js';
import { checkRedis, ensureSandboxImage, REDIS_URL, SANDBOX_IMAGE } from './fixtures.js';
import { benchSandboxStart } from './sandbox-start.js';
import { BASELINE_FLAGS, benchSandboxWarm } from './sandbox-warm.js';
import { benchScale } from './scale.js';
import { benchRuntime, benchSetupCache } from './setup-and-runtime.js';
import { HOME_DEBOUNCE_MS } from '../src/render/home-refresher.js';
import { ms } from './stats.js';
import { benchTaskLatency } from './task-latency.js';
import { benchPullRequest } from './pull-request.js';
import { benchStream } from './stream.js';
import { benchModel, minShare, share } from './model.js';
import { benchHome } from './home.js';

/*
 * `npm run bench`: the product's figures beside baselines measured in the same run, on this
 * machine. It prints and asserts nothing. Needs what the tests need: Redis (REDIS_URL, default
 * 127.0.0.1:6379) and Docker with the sandbox image (built here when missing). Everything it
 * makes (Redis keys under its own prefix, containers, directories) is removed at the end.
 * BENCH_ONLY=name[,name] runs only those sections (names as in SECTIONS).
 */

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 500);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 25);
const TASKS = Number(process.env.BENCH_TASKS ?? 5);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const FILES = Number(process.env.BENCH_FILES ?? 1000);
const PARALLEL = Number(process.env.BENCH_PARALLEL ?? 20);
const WORKER_TASKS = Number(process.env.BENCH_WORKER_TASKS ?? 16);
const PER_WORKER = Number(process.env.BENCH_PER_WORKER ?? 2);
const MODEL_SECONDS = 2;
const MODEL_STEPS = Number(process.env.BENCH_MODEL_STEPS ?? 26);
const HOME_RUNNING = Number(process.env.BENCH_HOME_RUNNING ?? 50);
const HOME_SAMPLES = Number(process.env.BENCH_HOME_SAMPLES ?? 10);
const OCCURRENCES = Number(process.env.BENCH_OCCURRENCES ?? 8);

export type Row = [string, string, string, string];

/** One part of the bench: says what it measures, then returns its rows and any notes. */
export interface Section {
  name: string;
  describe: string;
  run(): Promise<{ rows: Row[]; notes?: string[] }>;
}

const SECTIONS: Section[] = [
  {
    name: 'ack',
    describe: `slash-command acks: ${REQUESTS} requests, ${IN_FLIGHT} in flight, ours then a bare Bolt app`,
    async run() {
      const ack = await benchAckLatency(REQUESTS, IN_FLIGHT);
      const bareAck = 'bare Bolt app, ack only';
      const rows: Row[] = [
        [`ack, help + task (${ack.ours.all.n}), median`, ms(ack.ours.all.median), ms(ack.bare.all.median), bareAck],
        [`ack, help + task (${ack.ours.all.n}), p99`, ms(ack.ours.all.p99), ms(ack.bare.all.p99), bareAck],
        ['ack, /codex help, median / p99', `${ms(ack.ours.help.median)} / ${ms(ack.ours.help.p99)}`, `${ms(ack.bare.help.median)} / ${ms(ack.bare.help.p99)}`, bareAck],
        ['ack, /codex task, median / p99', `${ms(ack.ours.task.median)} / ${ms(ack.ours.task.p99)}`, `${ms(ack.bare.task.median)} / ${ms(ack.bare.task.p99)}`, bareAck],
      ];
      return { rows, notes: ack.errors > 0 ? [`${ack.errors} slash-command requests got an unexpected answer.`] : [] };
    },
  },
  {
    name: 'task',
    describe: `command to root message and first card update: ${TASKS} tasks`,
    async run() {
      const task = await benchTaskLatency(TASKS);
      const bareTask = 'bare Bolt app: ack, post, update';
      return {
        rows: [
          [`command → root message, median of ${task.tasks}`, ms(task.ours.rootMs), ms(task.bare.rootMs), bareTask],
          [`command → first status update, median of ${task.tasks}`, ms(task.ours.firstUpdateMs), ms(task.bare.firstUpdateMs), bareTask],
        ],
      };
    },
  },
  {
    name: 'sandbox',
    describe: `sandbox start: ${RUNS} runs each`,
    async run() {
      const sandbox = await benchSandboxStart(RUNS);
      return {
        rows: [
          [`sandbox start + first exec, median of ${sandbox.runs}`, ms(sandbox.ours.startExecMs), ms(sandbox.dockerRunMs), `docker run --rm ${SANDBOX_IMAGE} true`],
          [`sandbox start + exec + stop, median of ${sandbox.runs}`, ms(sandbox.ours.withStopMs), ms(sandbox.dockerRunMs), `docker run --rm ${SANDBOX_IMAGE} true`],
        ],
      };
    },
  },
  {
    name: 'checkout',
    describe: `checkouts: ${RUNS} runs each, ${FILES}-file repo`,
    async run() {
      const checkout = await benchCheckout(RUNS, FILES);
      return {
        rows: [
          [`checkout, warm mirror, median of ${checkout.runs}`, ms(checkout.warmMs), ms(checkout.cloneMs), 'git clone (local: hard links)'],
          [`checkout, warm mirror, median of ${checkout.runs}`, ms(checkout.warmMs), ms(checkout.cloneNoLocalMs), 'git clone --no-local'],
          ['checkout, cold mirror (first task of a repo)', ms(checkout.coldMs), '', ''],
        ],
      };
    },
  },
  {
    name: 'pull-request',
    describe: `click on Open pull request → its link in the thread: ${TASKS} runs`,
    async run() {
      const pr = await benchPullRequest(TASKS);
      return { rows: [[`Open pull request click → PR link in thread, median of ${pr.runs}`, ms(pr.oursMs), ms(pr.apiMs), 'fake GitHub API alone: JWT, token, POST /pulls']] };
    },
  },
  {
    name: 'stream',
    describe: `command start → first streamed line, and → first card update: ${TASKS} tasks`,
    async run() {
      const stream = await benchStream(TASKS);
      return { rows: [[`command start → first streamed line, median of ${stream.runs}`, ms(stream.streamMs), ms(stream.cardMs), 'command start → first card update (same tasks)']] };
    },
  },
  {
    name: 'model',
    describe: `model requests: a ${MODEL_STEPS}-step scripted task with an 8k window (compact endpoint, in-band summary) and without compaction; an ordinary task`,
    async run() {
      const m = await benchModel(MODEL_STEPS);
      const never = 'same task, window never filled';
      const tokens = (n: number) => `${(n / 1000).toFixed(1)}k`;
      return {
        rows: [
          [`long task: model requests (compact calls), endpoint`, `${m.endpoint.requests} (${m.endpoint.compactCalls})`, String(m.none.requests), never],
          [`long task: model requests (summaries), in-band`, `${m.summary.requests} (${m.summary.compactions})`, String(m.none.requests), never],
          ['long task: input tokens per task, endpoint / in-band', `${tokens(m.endpoint.inputTokens)} / ${tokens(m.summary.inputTokens)}`, tokens(m.none.inputTokens), never],
          ['long task: largest request, endpoint / in-band', `${tokens(m.endpoint.largest)} / ${tokens(m.summary.largest)}`, tokens(m.none.largest), never],
          ['long task: cached share of the request right after a compaction, median, endpoint / in-band', `${share(m.endpoint.cachedShareRightAfter)} / ${share(m.summary.cachedShareRightAfter)}`, share(m.none.cachedShareAfter), `${never}: every request`],
          ['long task: cached share of every request after the first compaction, median, endpoint / in-band', `${share(m.endpoint.cachedShareAfter)} / ${share(m.summary.cachedShareAfter)}`, share(m.none.cachedShareAfter), `${never}: every request`],
          [`ordinary task (${m.ordinary.requests} requests): share of the previous request repeated as the next one's prefix, min`, minShare(m.ordinary.repeated), '0.970', 'goal'],
          ['ordinary task: cached share of each request after the first, median', share(m.ordinary.cached), '', ''],
        ],
        notes: [`model: ${m.endpoint.compactions} compactions through the endpoint and ${m.summary.compactions} in-band on the long task; none without compaction.`],
      };
    },
  },
  {
    name: 'home',
    describe: `App Home publish at ${HOME_RUNNING} running tasks (${HOME_SAMPLES} samples) and scheduler overhead (${OCCURRENCES} occurrences)`,
    async run() {
      const h = await benchHome(HOME_RUNNING, HOME_SAMPLES, OCCURRENCES);
      const bare = 'bare views.publish of the same view (@slack/web-api)';
      const bull = 'bare BullMQ upsertJobScheduler → Worker gets the job';
      return {
        rows: [
          [`Home: task state change → views.publish, ${h.running} running, median`, ms(h.change.median), ms(h.bare.median), bare],
          [`Home: task state change → views.publish, ${h.running} running, p99`, ms(h.change.p99), ms(h.bare.p99), bare],
          [`Home: app_home_opened → views.publish, ${h.running} running, median / p99`, `${ms(h.open.median)} / ${ms(h.open.p99)}`, `${ms(h.bare.median)} / ${ms(h.bare.p99)}`, bare],
          [`automation: scheduled time → task record, median of ${h.occurrences.record.n}`, ms(h.occurrences.record.median), ms(h.occurrences.bare.median), bull],
          [`automation: scheduled time → root message, median / p99`, `${ms(h.occurrences.root.median)} / ${ms(h.occurrences.root.p99)}`, `${ms(h.occurrences.bare.median)} / ${ms(h.occurrences.bare.p99)}`, bull],
        ],
        notes: [`State-change rows: lone changes (each after the App Home's ${HOME_DEBOUNCE_MS} ms throttle window); in a burst a person's Home is published at most once per window.`, ...(h.occurrences.skipped > 0 ? [`${h.occurrences.skipped} occurrences were skipped while the previous run was still going.`] : [])],
      };
    },
  },
  {
    name: 'sandbox-warm',
    describe: `warm pool and exec path: ${RUNS} claims, 30 execs, 20 agent steps`,
    async run() {
      const w = await benchSandboxWarm(RUNS);
      const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
      const dockerRun = `docker run --rm ${BASELINE_FLAGS.join(' ')}${BASELINE_FLAGS.length ? ' ' : ''}${SANDBOX_IMAGE} true`;
      return {
        rows: [
          [`sandbox from the warm pool: claim, median of ${w.runs}`, ms(w.claimMs), ms(w.dockerRunMs), `${dockerRun} (${ratio(w.claimMs, w.dockerRunMs)})`],
          [`sandbox from the warm pool: claim → first exec done, median of ${w.runs}`, ms(w.warmReadyMs), ms(w.dockerRunMs), `${dockerRun} (${ratio(w.warmReadyMs, w.dockerRunMs)})`],
          ["exec('true') round trip, median of 30", ms(w.execMs), ms(w.cliExecMs), `docker exec <id> true via the CLI (${ratio(w.execMs, w.cliExecMs)})`],
          [`agent step, zero-latency model, median of ${w.steps}`, ms(w.stepMs), ms(w.execMs), `exec('true') round trip (+${ms(w.stepMs - w.execMs)})`],
          [`agent step writing a file (new checkpoint each step), median of ${w.steps}`, ms(w.writeStepMs), ms(w.execMs), `exec('true') round trip (+${ms(w.writeStepMs - w.execMs)})`],
        ],
      };
    },
  },
  {
    name: 'scale',
    describe: `scale: ${PARALLEL} parallel tasks under Slack's published limits; ${WORKER_TASKS} tasks on one worker process, then two (${PER_WORKER} each)`,
    async run() {
      const s = await benchScale(PARALLEL, WORKER_TASKS, PER_WORKER);
      const p = s.parallel;
      const w = s.workers;
      return {
        rows: [
          [`${p.tasks} parallel tasks, one process: command → every card Done`, ms(p.wallMs), ms(p.singleMs), 'one task alone, same process'],
          [`${p.tasks} parallel tasks: tasks per minute / Slack 429s`, `${p.perMinute.toFixed(1)} / ${p.tooMany}`, `${(60_000 / p.singleMs).toFixed(1)} / 0`, 'one task at a time'],
          [`${w.tasks} tasks, two worker processes vs one (model ${MODEL_SECONDS} s per answer)`, ms(w.twoMs), ms(w.oneMs), `one worker process (ratio ${w.ratio.toFixed(2)}×)`],
          [`worker memory per running task (${s.memory.running} running)`, `${s.memory.perTaskMb.toFixed(1)} MB`, `${s.memory.idleMb.toFixed(0)} MB`, 'the worker process idle (RSS)'],
        ],
      };
    },
  },
  {
    name: 'setup-cache',
    describe: 'setup cache: a 10 s setup, first task then second task, time to first model request',
    async run() {
      const c = await benchSetupCache();
      return { rows: [['second task → first model request, setup restored from cache', ms(c.secondMs), ms(c.firstMs), `first task: setup (sleep 10) runs (${(c.secondMs / c.firstMs).toFixed(2)}×)`]] };
    },
  },
  {
    name: 'gvisor',
    describe: `gVisor: checkout + npm install + npm test of the fixture, ${RUNS} runs each`,
    async run() {
      const r = await benchRuntime(RUNS);
      return { rows: [[`checkout + install + test under gVisor (runsc), median of ${r.runs}`, ms(r.runscMs), ms(r.runcMs), `the same under runc (${(r.runscMs / r.runcMs).toFixed(2)}×)`]] };
    },
  },
  // New sections go here, one entry each.
];

function table(rows: Row[]): string {
  const head: Row = ['measure', 'ours', 'baseline', 'baseline is'];
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: Row) => r.map((c, i) => (i === 1 || i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  await checkRedis();
  ensureSandboxImage();
  const only = (process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only.filter((n) => !SECTIONS.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`BENCH_ONLY names unknown sections: ${unknown.join(', ')}; known: ${SECTIONS.map((s) => s.name).join(', ')}`);
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const section of SECTIONS) {
    if (only.length > 0 && !only.includes(section.name)) continue;
    process.stderr.write(`… ${section.describe}\n`);
    const out = await section.run();
    rows.push(...out.rows);
    notes.push(...(out.notes ?? []));
  }
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
