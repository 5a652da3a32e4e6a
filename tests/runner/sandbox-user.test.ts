import { describe, expect, it } from 'vitest';
import { IMAGE_USER, sandboxUserFor } from '../../src/runner/sandbox-user.js';

describe('sandboxUserFor', () => {
  it("gives a root worker's checkouts to the image's unprivileged user", () => {
    expect(sandboxUserFor(0, 0)).toEqual(IMAGE_USER);
    expect(IMAGE_USER).toEqual({ uid: 1000, gid: 1000 });
  });

  it('runs the sandbox as a non-root worker itself, since it owns the checkout and cannot chown', () => {
    expect(sandboxUserFor(1234, 5678)).toEqual({ uid: 1234, gid: 5678 });
  });
});
