import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Config } from '../config.js';

/*
 * A person's defaults for new tasks (repo, model, personality), set with `/codex defaults` (and
 * shown in App Home). One Redis hash per person, `<prefix>:prefs:<user id>`, read back through
 * zod. What a new task uses is decided by `chooseSettings`: the flag, then the person's
 * default, then the channel's (config `channels[id]`), then the installation's.
 */

export const preferencesSchema = z.object({
  repo: z.string().min(1).optional(),
  model: z.string().min(1).optional(),
  personality: z.string().min(1).optional(),
});
export type Preferences = z.infer<typeof preferencesSchema>;
export type PreferenceField = keyof Preferences;
const FIELDS: readonly PreferenceField[] = ['repo', 'model', 'personality'];

export class PreferenceStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(user: string): string {
    return `${this.prefix}:prefs:${user}`;
  }

  async get(user: string): Promise<Preferences> {
    const raw = await this.redis.hgetall(this.key(user));
    const parsed = preferencesSchema.safeParse(Object.fromEntries(Object.entries(raw).filter(([k]) => (FIELDS as string[]).includes(k))));
    return parsed.success ? parsed.data : {};
  }

  /** Sets the given fields (others are kept); returns the person's defaults after the change. */
  async set(user: string, patch: Preferences): Promise<Preferences> {
    const entries = Object.entries(patch).filter(([, v]) => v !== undefined) as Array<[string, string]>;
    if (entries.length > 0) await this.redis.hset(this.key(user), Object.fromEntries(entries));
    return this.get(user);
  }

  /** Forgets the given fields, or all of them. */
  async clear(user: string, fields: readonly PreferenceField[] = FIELDS): Promise<void> {
    await this.redis.hdel(this.key(user), ...fields);
  }
}

/** Where a value came from, as `/codex defaults` explains it. */
export type SettingSource = 'flag' | 'person' | 'channel' | 'config';

export interface TaskSettings {
  model: string;
  modelFrom: SettingSource;
  personality?: string;
  personalityFrom?: SettingSource;
}

export type SettingsChoice =
  | ({ ok: true } & TaskSettings)
  | { ok: false; reason: 'unknown_model'; asked: string; allowed: string[] }
  | { ok: false; reason: 'unknown_personality'; asked: string; allowed: string[] };

/** The configured model of that name (exact, else ignoring case), if a task may ask for it. */
export function findModel(config: Pick<Config, 'models'>, name: string): string | undefined {
  return config.models.find((m) => m === name) ?? config.models.find((m) => m.toLowerCase() === name.toLowerCase());
}

/** The known personality of that name (ignoring case), if any. */
export function findPersonality(config: Pick<Config, 'personalities'>, name: string): string | undefined {
  return config.personalities.find((p) => p === name.toLowerCase());
}

/**
 * The model and personality of a new task: a flag must name an allowed one (else the choice
 * fails, naming the allowed ones); without a flag, the person's default, then the channel's,
 * then the installation's (CODEX_MODEL; no personality). A stored default that the config no
 * longer allows is skipped.
 */
export function chooseSettings(config: Pick<Config, 'models' | 'personalities' | 'env' | 'file'>, channel: string, prefs: Preferences, flags: { model?: string; personality?: string }): SettingsChoice {
  const ch = config.file.channels[channel];
  let model: { name: string; from: SettingSource } | undefined;
  if (flags.model !== undefined) {
    const found = findModel(config, flags.model);
    if (!found) return { ok: false, reason: 'unknown_model', asked: flags.model, allowed: config.models };
    model = { name: found, from: 'flag' };
  }
  model ??= pick(prefs.model, 'person', (n) => findModel(config, n)) ?? pick(ch?.model, 'channel', (n) => findModel(config, n)) ?? { name: config.env.CODEX_MODEL, from: 'config' };
  let personality: { name: string; from: SettingSource } | undefined;
  if (flags.personality !== undefined) {
    const found = findPersonality(config, flags.personality);
    if (!found) return { ok: false, reason: 'unknown_personality', asked: flags.personality, allowed: config.personalities };
    personality = { name: found, from: 'flag' };
  }
  personality ??= pick(prefs.personality, 'person', (n) => findPersonality(config, n)) ?? pick(ch?.personality, 'channel', (n) => findPersonality(config, n));
  return { ok: true, model: model.name, modelFrom: model.from, ...(personality ? { personality: personality.name, personalityFrom: personality.from } : {}) };
}

function pick(name: string | undefined, from: SettingSource, find: (name: string) => string | undefined): { name: string; from: SettingSource } | undefined {
  const found = name === undefined ? undefined : find(name);
  return found === undefined ? undefined : { name: found, from };
}
