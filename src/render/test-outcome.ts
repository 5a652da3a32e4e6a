import type { CommandResult, TestOutcome } from '../blocks/index.js';

/** Commands that run a test suite, as the summary's "tests" line understands them. */
const TEST_COMMAND = /(^|[\s;&|(])(npm (run )?test|npm t\b|yarn test|pnpm test|npx (vitest|jest|mocha)|vitest|jest|mocha|pytest|python3? -m (pytest|unittest)|go test|cargo test|node --test|make (test|check)|mvn test|gradle test|rspec|bundle exec rspec|tox)\b/;

/** The outcome of the last test run among `commands`, or undefined when none ran tests. */
export function testOutcome(commands: CommandResult[]): TestOutcome | undefined {
  const last = [...commands].reverse().find((c) => TEST_COMMAND.test(c.command));
  if (!last) return undefined;
  const detail = last.command.split('\n')[0]!.slice(0, 80);
  return { outcome: last.exitCode === 0 && !last.timedOut ? 'passed' : 'failed', detail };
}
