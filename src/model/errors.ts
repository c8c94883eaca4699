// Errors every layer may throw. A UsageError is the user's to fix (a bad path, a bad option): the CLI
// prints its message and exits 2, without a stack trace.
export class UsageError extends Error {}
