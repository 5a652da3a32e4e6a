import type Docker from 'dockerode';
import type { RepoConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { DockerSandbox } from './docker-sandbox.js';
import { INSTALLATION_SKILLS_DIR } from './sandbox.js';
import type { WarmSlot } from './warm-slot.js';
import type { TaskCheckout } from './workspace.js';

/**
 * The sandbox for a task's checkout, with everything taken from where it is decided: image,
 * limits and network from the repo config; mount, read-only cache mount and user from the
 * checkout. Wiring code should use this rather than assemble DockerSandboxOptions by hand, so
 * the checkout's owner and the container's user cannot drift apart.
 */
export function createTaskSandbox(input: {
  repo: Pick<RepoConfig, 'image' | 'limits' | 'network'> & Partial<Pick<RepoConfig, 'networkAllow' | 'runtime'>>;
  checkout: TaskCheckout;
  docker?: Docker;
  project?: string;
  /** The worker run and process (container labels). */
  runId?: string;
  workerId?: string;
  logger?: Logger;
  /** The installation's skills folder on the host (config `skillsDir`), mounted read-only at INSTALLATION_SKILLS_DIR. */
  skillsDir?: string;
  /** A warm sandbox claimed and adopted for this checkout (made in its workspaceDir). */
  warm?: WarmSlot;
  /** Image of the egress proxy for approved network commands (CODEX_EGRESS_IMAGE). */
  egressImage?: string;
}): DockerSandbox {
  const { repo, checkout } = input;
  return new DockerSandbox({
    taskId: checkout.taskId,
    image: repo.image,
    limits: repo.limits,
    network: repo.network,
    networkAllow: repo.networkAllow,
    runtime: repo.runtime,
    workspaceDir: checkout.dir,
    readOnlyMounts: input.skillsDir ? [...checkout.readOnlyMounts, { source: input.skillsDir, target: INSTALLATION_SKILLS_DIR }] : checkout.readOnlyMounts,
    user: checkout.sandboxUser,
    docker: input.docker,
    project: input.project,
    runId: input.runId,
    workerId: input.workerId,
    logger: input.logger,
    warm: input.warm,
    egressImage: input.egressImage,
  });
}
