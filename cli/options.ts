// Parsers for command-line option values, with messages that name the option.

export function positiveInt(name: string): (raw: string) => number {
  return (raw) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${raw}`);
    return n;
  };
}

/** One of `allowed`, else an error naming the option and the allowed values. */
export function oneOf<T extends string>(name: string, allowed: readonly T[]): (raw: string) => T {
  return (raw) => {
    if (!(allowed as readonly string[]).includes(raw))
      throw new Error(`--${name} must be one of ${allowed.join(', ')}, got ${raw}`);
    return raw as T;
  };
}
