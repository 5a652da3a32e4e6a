import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { STOP_MARGIN_MS } from '../src/app.js';
import { envSchema } from '../src/config-env.js';

/*
 * compose stops the worker with SIGTERM and kills it `stop_grace_period` later: that must be
 * longer than the longest the worker's own shutdown takes (CODEX_STOP_GRACE_SEC's default plus
 * the bounded clean-up after it), or a deploy kills turns before they are handed back.
 */
describe("compose's stop_grace_period", () => {
  it("is longer than the worker's whole shutdown", () => {
    const compose = parse(readFileSync(join(import.meta.dirname, '..', 'docker-compose.yml'), 'utf8')) as { services: Record<string, { stop_grace_period?: string }> };
    const period = compose.services.worker?.stop_grace_period ?? '10s';
    const m = /^(\d+)(m|s)$/.exec(period);
    expect(m, `unexpected stop_grace_period ${period}`).not.toBeNull();
    const periodMs = Number(m![1]) * (m![2] === 'm' ? 60_000 : 1000);
    const graceMs = envSchema.shape.CODEX_STOP_GRACE_SEC.parse(undefined) * 1000;
    expect(periodMs).toBeGreaterThan(graceMs + STOP_MARGIN_MS);
  });
});
