import { execFileSync } from 'node:child_process';

/**
 * Runs once before the suite: the integration tests need the default sandbox image and the
 * egress proxy image of network commands. They are
 * built by `npm run sandbox:build` (CI does so in .ci/run); if it is missing, build it here so
 * that `npm test` alone works on a machine with a Docker engine.
 */
export default function setup(): void {
  const images = [process.env.CODEX_SANDBOX_IMAGE ?? 'codex-sandbox:latest', process.env.CODEX_EGRESS_IMAGE ?? 'codex-egress-proxy:latest'];
  try {
    execFileSync('docker', ['image', 'inspect', ...images], { stdio: 'ignore' });
  } catch {
    execFileSync('npm', ['run', 'sandbox:build'], { stdio: 'inherit' });
  }
}
