// A wall-clock deadline for one comparison. Synchronous code cannot be interrupted from outside,
// so every stage that can take more than a few microseconds calls check() at its own boundaries.

export class OutOfTime extends Error {
  constructor() {
    super('grader time bound exceeded');
    this.name = 'OutOfTime';
  }
}

/** A guard refused the input: the comparison is undecided (reason in the message), not false. */
export class Refused extends Error {}

export class Budget {
  private deadline: number;

  constructor(readonly limitMs: number) {
    this.deadline = performance.now() + limitMs;
  }

  remaining(): number {
    return this.deadline - performance.now();
  }

  /** Moves the deadline by time that must not count (a one-off parser warm-up). */
  extend(ms: number): void {
    this.deadline += ms;
  }

  check(): void {
    if (performance.now() > this.deadline) throw new OutOfTime();
  }
}
