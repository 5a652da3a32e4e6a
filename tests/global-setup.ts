import { execFileSync } from 'node:child_process';
import Docker from 'dockerode';

/**
 * Runs once before the suite: the integration tests need the default sandbox image and the
 * egress proxy image of network commands. They are
 * built by `npm run sandbox:build` (CI does so in .ci/run); if it is missing, build it here so
 * that `npm test` alone works on a machine with a Docker engine.
 *
 * It also removes the egress networks that earlier test runs on this engine left (a run that
 * was killed never cleans up): each takes one of Docker's few default address pools, and once
 * they are used up no network command can run. Only networks of test installations, older
 * than two hours and with no container attached, so a run going on beside this one keeps its own.
 */
export default async function setup(): Promise<void> {
  const images = [process.env.CODEX_SANDBOX_IMAGE ?? 'codex-sandbox:latest', process.env.CODEX_EGRESS_IMAGE ?? 'codex-egress-proxy:latest'];
  try {
    execFileSync('docker', ['image', 'inspect', ...images], { stdio: 'ignore' });
  } catch {
    execFileSync('npm', ['run', 'sandbox:build'], { stdio: 'inherit' });
  }
  await removeStaleTestNetworks(new Docker()).catch(() => undefined);
}

const TEST_PROJECT = /^(codex-test-|codex-bench-|e2e[0-9a-f]{8}$)/;
const STALE_MS = 2 * 60 * 60_000;

async function removeStaleTestNetworks(docker: Docker): Promise<void> {
  const networks = await docker.listNetworks({ filters: { label: ['codex.project'] } });
  for (const n of networks) {
    if (!TEST_PROJECT.test(n.Labels?.['codex.project'] ?? '')) continue;
    if (Date.now() - Date.parse(n.Created) < STALE_MS) continue;
    const info = await docker.getNetwork(n.Id).inspect().catch(() => undefined);
    if (!info || Object.keys(info.Containers ?? {}).length > 0) continue;
    await docker.getNetwork(n.Id).remove().catch(() => undefined);
  }
}
