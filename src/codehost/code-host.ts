/*
 * The CodeHost port: what delivery needs of wherever a repo is hosted (GitHub first; GitLab
 * could follow with its own adapter here, without touching the worker). The worker asks it for
 * git credentials before every fetch and push, and for pull requests, comments and reviews.
 */

/** What a code host needs to know of a repo (a subset of RepoConfig). */
export interface HostedRepo {
  name: string;
  github?: { owner: string; name: string };
}

/**
 * Credentials for one git fetch or push over HTTPS. Never written anywhere: the runner passes
 * them to that one git process only (see src/runner/git-auth.ts).
 */
export interface GitCredentials {
  username: string;
  password: string;
}

export interface PullRequestRef {
  number: number;
  url: string;
}

export interface PullRequestInfo extends PullRequestRef {
  state: 'open' | 'closed';
  merged: boolean;
  head: string;
  base: string;
}

export interface NewPullRequest {
  head: string;
  base: string;
  title: string;
  body: string;
  draft: boolean;
}

/** One finding of a review that sits on a line of the diff. */
export interface ReviewComment {
  path: string;
  line: number;
  body: string;
}

export interface CodeHost {
  /** Fresh (or cached until shortly before expiry) credentials for one git operation on `repo`. */
  gitCredentials(repo: HostedRepo): Promise<GitCredentials>;
  openPullRequest(repo: HostedRepo, pr: NewPullRequest): Promise<PullRequestRef>;
  getPullRequest(repo: HostedRepo, number: number): Promise<PullRequestInfo>;
  comment(repo: HostedRepo, number: number, body: string): Promise<void>;
  /** Submits (not leaves pending) a review: `comments` on lines of the diff, the rest in `body`. */
  submitReview(repo: HostedRepo, number: number, review: { body: string; comments: ReviewComment[]; commitId?: string }): Promise<{ url: string }>;
}

/** The code host of a repo, or undefined when it is not hosted anywhere we deliver to. */
export type CodeHostFor = (repo: HostedRepo) => CodeHost | undefined;
