/**
 * Collects teardown steps as resources are created, so a test that fails halfway still releases
 * everything it made. Steps run in reverse order of registration (clients before hubs before temp dirs).
 */
export class Cleanup {
  private readonly steps: (() => unknown)[] = [];

  add(step: () => unknown): void {
    this.steps.push(step);
  }

  /** Runs every step even if some throw; rethrows the first failure afterwards. */
  async run(): Promise<void> {
    let firstError: unknown = null;
    while (this.steps.length > 0) {
      const step = this.steps.pop() as () => unknown;
      try {
        await step();
      } catch (err) {
        firstError ??= err;
      }
    }
    if (firstError !== null) throw firstError;
  }
}
