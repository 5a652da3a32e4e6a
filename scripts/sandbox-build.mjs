// `npm run sandbox:build`: builds the default sandbox image (sandbox/Dockerfile) as
// CODEX_SANDBOX_IMAGE (default codex-sandbox:latest), with any extra `docker build` flags from
// SANDBOX_BUILD_FLAGS (e.g. `--network host`) and SANDBOX_BUILD_NETWORK (`host` gives
// `--network host`; docker-compose.yml reads the same variable for its builds). Reads `.env` like
// `npm start` does, so the tag built is the tag the app will use; variables already set in the
// environment win.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

if (existsSync('.env')) process.loadEnvFile('.env');
const image = process.env.CODEX_SANDBOX_IMAGE || 'codex-sandbox:latest';
const flags = (process.env.SANDBOX_BUILD_FLAGS ?? '').split(/\s+/).filter(Boolean);
if (process.env.SANDBOX_BUILD_NETWORK) flags.unshift('--network', process.env.SANDBOX_BUILD_NETWORK);
const args = ['build', ...flags, '-t', image, 'sandbox'];
console.error(`docker ${args.join(' ')}`);
const result = spawnSync('docker', args, { stdio: 'inherit' });
if (result.error) {
  console.error(`Could not run docker: ${result.error.message}. Install Docker and make sure the engine runs.`);
  process.exit(1);
}
process.exit(result.status ?? 1);
