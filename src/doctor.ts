import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createCodeHosts } from './codehost/index.js';
import { checkDocker, checkImage, checkModel, checkRedis, checkRepo, checkSlackToken, checkSlackTransport, configuredImages, manifestBotScopes, runCheck, type CheckResult } from './checks.js';
import { readStartConfig, type Config } from './config.js';
import { createDockerClient } from './runner/docker-client.js';

/*
 * `npm run doctor`: checks, with the configuration `npm start` would use (`.env` included),
 * everything the bot depends on, and prints one line per check. Exits 1 when any fails. Every
 * check has a timeout, so it never hangs. Which checks run depends on CODEX_ROLE: the app needs
 * Slack and Redis; the worker also needs Docker, the sandbox images, the model and the repos.
 */

export async function runDoctor(config: Config): Promise<CheckResult[]> {
  const { env } = config;
  const worker = env.CODEX_ROLE !== 'app';
  const app = env.CODEX_ROLE !== 'worker';
  const docker = createDockerClient(env.DOCKER_HOST);
  const checks: Array<Promise<CheckResult>> = [
    runCheck('Slack bot token', () => checkSlackToken(env, manifestBotScopes())),
    ...(app ? [runCheck(env.SLACK_APP_TOKEN ? 'Slack app-level token' : 'Slack signing secret', () => checkSlackTransport(env))] : []),
    runCheck(`Redis ${env.REDIS_URL}`, () => checkRedis(env.REDIS_URL)),
  ];
  if (worker) {
    checks.push(runCheck('Docker engine', () => checkDocker(docker, env.DOCKER_HOST)));
    for (const image of configuredImages(config.repos)) checks.push(runCheck(`sandbox image ${image}`, () => checkImage(docker, image, env)));
    // Every repo's commands can be approved onto the network, through this proxy.
    checks.push(runCheck(`egress proxy image ${env.CODEX_EGRESS_IMAGE}`, () => checkImage(docker, env.CODEX_EGRESS_IMAGE, env)));
    checks.push(runCheck(`model ${env.CODEX_MODEL}`, () => checkModel(env)));
    const hosts = createCodeHosts(config);
    for (const repo of config.repos) {
      const host = hosts(repo);
      checks.push(runCheck(`repo ${repo.name}`, () => checkRepo(repo, undefined, host && (() => host.gitCredentials(repo)))));
    }
  }
  return Promise.all(checks);
}

export function formatResult(r: CheckResult): string {
  return r.ok ? `✓ ${r.name}: ${r.detail}` : `✗ ${r.name}: ${r.detail}`;
}

async function main(): Promise<number> {
  const read = readStartConfig();
  if ('problem' in read) {
    process.stdout.write(`✗ configuration: ${read.problem}\n`);
    return 1;
  }
  const { config } = read;
  process.stdout.write(`✓ configuration: ${config.repos.length} repo(s) from ${config.env.CODEX_CONFIG}, role ${config.env.CODEX_ROLE}\n`);
  const results = await runDoctor(config);
  for (const r of results) process.stdout.write(`${formatResult(r)}\n`);
  const failed = results.filter((r) => !r.ok).length;
  process.stdout.write(failed === 0 ? 'All checks passed.\n' : `${failed} check(s) failed: fix the lines marked ✗ and run \`npm run doctor\` again.\n`);
  return failed === 0 ? 0 : 1;
}

const invokedDirectly = process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
if (invokedDirectly) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`npm run doctor failed: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
