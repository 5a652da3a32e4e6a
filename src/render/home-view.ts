import type { Redis } from 'ioredis';
import type { HomeView } from '../blocks/app-home.js';
import type { Config } from '../config.js';
import { canDecide } from '../tasks/access.js';
import type { Automations } from '../tasks/automations.js';
import { nextRuns } from '../tasks/cron.js';
import { PreferenceStore } from '../tasks/preferences.js';
import { FINAL_STATUSES, type TaskRecord } from '../tasks/task-record.js';
import type { TaskStore } from '../tasks/task-store.js';

/** What building a person's App Home reads. */
export interface HomeSources {
  config: Config;
  store: TaskStore;
  automations: Automations;
  redis: Redis;
  prefix: string;
}

const elapsed = (t: TaskRecord, now: number) => (t.startedAt ? (t.endedAt ? Date.parse(t.endedAt) : now) - Date.parse(t.startedAt) : undefined);
const item = (t: TaskRecord, now: number) => ({ taskId: t.id, status: t.status, prompt: t.turnPrompt ?? t.prompt, repo: t.repo, owner: t.owner, threadUrl: t.threadUrl, elapsedMs: elapsed(t, now) });

/**
 * The App Home of `user`: the running and queued tasks they may act on (their own, and those
 * of repos they approve for), their recent ended tasks, their automations and their defaults.
 */
export async function buildHomeView(src: HomeSources, user: string, now = Date.now()): Promise<HomeView> {
  const [activeIds, own, automations, defaults] = await Promise.all([
    src.store.activeTaskIds(),
    src.store.tasksOf(user, 20),
    src.automations.list(),
    new PreferenceStore(src.redis, src.prefix).get(user).catch(() => ({})),
  ]);
  const active = (await Promise.all(activeIds.map((id) => src.store.getTask(id).catch(() => undefined))))
    .filter((t): t is TaskRecord => t !== undefined && !FINAL_STATUSES.has(t.status) && canDecide(src.config.findRepo(t.repo), t.owner, user))
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  return {
    active: active.map((t) => item(t, now)),
    recent: own.filter((t) => FINAL_STATUSES.has(t.status)).map((t) => item(t, now)),
    automations: automations
      .filter((a) => a.owner === user)
      .map((a) => ({ id: a.id, cron: a.cron, timezone: a.timezone, repo: a.repo, prompt: a.prompt, paused: a.paused, next: a.paused ? undefined : safeNext(a.cron, a.timezone) })),
    defaults,
    choices: { repos: src.config.repos.map((r) => r.name), models: src.config.models, personalities: src.config.personalities },
  };
}

function safeNext(cron: string, tz: string): string | undefined {
  try {
    return nextRuns(cron, tz, 1)[0]!.toISOString();
  } catch {
    return undefined;
  }
}
