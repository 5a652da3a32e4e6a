// `npm run sandbox:build`: builds the default sandbox image (sandbox/Dockerfile) as
// CODEX_SANDBOX_IMAGE (default codex-sandbox:latest) and the egress proxy of network commands
// (sandbox/egress-proxy, squid + nftables; src/runner/egress.ts) as CODEX_EGRESS_IMAGE (default
// codex-egress-proxy:latest), with any extra `docker build` flags from
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
const egressImage = process.env.CODEX_EGRESS_IMAGE || 'codex-egress-proxy:latest';
for (const [tag, dir] of [[image, 'sandbox'], [egressImage, 'sandbox/egress-proxy']]) {
  const args = ['build', ...flags, '-t', tag, dir];
  console.error(`docker ${args.join(' ')}`);
  const result = spawnSync('docker', args, { stdio: 'inherit' });
  if (result.error) {
    console.error(`Could not run docker: ${result.error.message}. Install Docker and make sure the engine runs.`);
    process.exit(1);
  }
  if (result.status !== 0) process.exit(result.status ?? 1);
}
