import type Docker from 'dockerode';
import { checkImage, checkRepo, configuredImages, runCheck } from '../checks.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createDockerClient } from '../runner/docker-client.js';
import type { GitAuth } from '../runner/git-auth.js';

/**
 * Start-up warnings of a worker: one log line for each configured sandbox image (and the egress
 * proxy image) that is missing and each configured repo that cannot be fetched (`npm run doctor`
 * says more). Never throws and never fatal: the worker runs the repos that work. Resolves once every check has answered (each
 * has a timeout); callers need not wait for it.
 */
export async function warnUnreachable(config: Config, logger: Logger, docker: Docker = createDockerClient(config.env.DOCKER_HOST), gitAuth?: GitAuth): Promise<void> {
  const results = await Promise.all([
    ...configuredImages(config.repos).map((image) => runCheck(`sandbox image ${image}`, () => checkImage(docker, image, config.env))),
    runCheck(`egress proxy image ${config.env.CODEX_EGRESS_IMAGE}`, () => checkImage(docker, config.env.CODEX_EGRESS_IMAGE, config.env)),
    ...config.repos.map((repo) => runCheck(`repo ${repo.name}`, () => checkRepo(repo, undefined, gitAuth && (() => gitAuth(repo.name))))),
  ]).catch(() => []);
  for (const r of results) if (!r.ok) logger.warn(`${r.name}: ${r.detail}`);
}
